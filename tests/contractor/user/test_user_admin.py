"""The user admin: the changelist shows roles, and the change form edits the description."""

import pytest

from contractor.user import roles

pytestmark = pytest.mark.django_db


def test_changelist_shows_roles(client, make_user):
    """The user changelist has a roles column naming each user's operator roles."""
    make_user("someone", roles.BUILDER)
    client.force_login(make_user("root", superuser=True))
    response = client.get("/admin/user/user/")
    assert response.status_code == 200
    assert b'<td class="field-role_list">builder</td>' in response.content


def test_change_form_edits_description(client, make_user):
    """The change form includes the description field."""
    user = make_user("someone")
    client.force_login(make_user("root", superuser=True))
    response = client.get(f"/admin/user/user/{user.pk}/change/")
    assert response.status_code == 200
    assert b'name="description"' in response.content
