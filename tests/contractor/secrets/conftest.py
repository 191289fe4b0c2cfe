"""Logging into the admin as an operator of a role (staff, not a superuser)."""

import pytest


@pytest.fixture
def staff_login(client, make_user):
    """`staff_login(name, role)`: the test client, logged into the admin as a staff user holding `role`."""

    def login(name, role):
        user = make_user(name, role)
        user.is_staff = True
        user.save()
        client.force_login(user)
        return client

    return login
