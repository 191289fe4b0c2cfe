"""Guards on changing users: superusers, the last active superuser, and roles granted (API and admin)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from contractor.user import roles

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/"
User = get_user_model()


@pytest.fixture
def manager(make_user):
    """A builder who may also manage users (view, add, change, delete), staff for the admin: not a superuser."""
    user = make_user("manager", roles.BUILDER)
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="user", codename__endswith="_user"))
    return user


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_only_a_superuser_changes_or_deletes_a_superuser(manager_api, make_user):
    """A user manager who is not a superuser gets a 403 changing, re-passwording or deleting a superuser."""
    make_user("root", superuser=True)
    for change in ({"description": "mine now"}, {"password": "a-new-long-password"}, {"is_active": False}):
        response = manager_api.patch(f"{URL}root/", change, format="json")
        assert response.status_code == 403, response.data
        assert "superuser" in str(response.data["detail"])
    assert manager_api.delete(f"{URL}root/").status_code == 403
    root = User.objects.get(username="root")
    assert root.is_active and root.description == "" and root.check_password("pw-for-tests")


def test_nobody_grants_themselves_a_role_they_do_not_hold(manager_api, manager):
    """The manager (a builder) may not make themselves an infrastructure admin; the 403 says which role."""
    response = manager_api.patch(f"{URL}manager/", {"roles": [roles.BUILDER, roles.INFRA_ADMIN]}, format="json")
    assert response.status_code == 403
    assert "infrastructure-admin" in str(response.data["detail"])
    assert sorted(manager.groups.values_list("name", flat=True)) == [roles.BUILDER]


def test_a_manager_grants_others_only_roles_they_hold(manager_api, make_user):
    """Creating or changing another user, a non-superuser hands out only roles they hold themselves."""
    make_user("dana", roles.VIEWER)
    refused = manager_api.patch(f"{URL}dana/", {"roles": [roles.INFRA_ADMIN]}, format="json")
    assert refused.status_code == 403
    assert manager_api.post(URL, {"username": "eve", "roles": [roles.INFRA_ADMIN]}, format="json").status_code == 403
    assert not User.objects.filter(username="eve").exists()
    allowed = manager_api.patch(f"{URL}dana/", {"roles": [roles.BUILDER]}, format="json")
    assert allowed.status_code == 200, allowed.data
    assert allowed.data["roles"] == [roles.BUILDER]
    # taking a role away, or changing other fields, needs no role held
    assert manager_api.patch(f"{URL}dana/", {"roles": [], "description": "x"}, format="json").status_code == 200


def test_the_last_active_superuser_is_not_deactivated_or_deleted(admin_client_api, make_user):
    """Even a superuser cannot deactivate or delete the last active superuser (a 400 naming the field); with a
    second active superuser both work."""
    response = admin_client_api.patch(f"{URL}root/", {"is_active": False}, format="json")
    assert response.status_code == 400
    assert "last active superuser" in response.data["is_active"][0]
    response = admin_client_api.delete(f"{URL}root/")
    assert response.status_code == 400
    assert "no active superuser" in response.data["non_field_errors"][0]
    assert User.objects.get(username="root").is_active
    # an inactive superuser does not count
    spare = make_user("spare", superuser=True)
    User.objects.filter(pk=spare.pk).update(is_active=False)
    assert admin_client_api.delete(f"{URL}root/").status_code == 400
    User.objects.filter(pk=spare.pk).update(is_active=True)
    assert admin_client_api.patch(f"{URL}root/", {"is_active": False}, format="json").status_code == 200
    assert admin_client_api.delete(f"{URL}spare/").status_code == 400  # now the last active one


def _change_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "description": user.description,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "user_permissions": [str(pk) for pk in user.user_permissions.values_list("pk", flat=True)],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_admin_refuses_self_promotion_as_field_errors(client, manager):
    """In the admin a user manager cannot tick is_superuser, add a group or a permission they do not hold."""
    client.force_login(manager)
    url = f"/admin/user/user/{manager.pk}/change/"
    infra = Group.objects.get(name=roles.INFRA_ADMIN)
    secrets = Permission.objects.get(codename="view_secrets")
    for change, field in (
        ({"is_superuser": "on"}, "is_superuser"),
        ({"groups": [str(infra.pk)]}, "groups"),
        ({"user_permissions": [str(secrets.pk)]}, "user_permissions"),
    ):
        response = client.post(url, _change_form(manager, **change))
        assert response.status_code == 200, change  # the form again, with its error
        errors = response.context["adminform"].form.errors
        assert field in errors, errors
    manager.refresh_from_db()
    assert not manager.is_superuser and not manager.has_perm("user.view_secrets")
    assert client.post(url, _change_form(manager, description="allowed")).status_code == 302


def test_admin_shows_a_superuser_read_only_to_a_non_superuser(client, manager, make_user):
    """A user manager's change page for a superuser is read-only: a POST changes nothing, delete is refused."""
    root = make_user("root", superuser=True)
    client.force_login(manager)
    page = client.get(f"/admin/user/user/{root.pk}/change/")
    assert page.status_code == 200 and b'name="username"' not in page.content
    assert client.post(f"/admin/user/user/{root.pk}/change/", _change_form(root, is_active="")).status_code == 403
    assert client.post(f"/admin/user/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.is_active


def test_admin_keeps_the_last_active_superuser(client, make_user):
    """The admin's change form, delete page and bulk delete action refuse to leave no active superuser."""
    root = make_user("root", superuser=True)
    client.force_login(root)
    response = client.post(f"/admin/user/user/{root.pk}/change/", _change_form(root, is_active=""))
    assert "last active superuser" in str(response.context["adminform"].form.errors["is_active"])
    page = client.get(f"/admin/user/user/{root.pk}/delete/")
    assert b"no active superuser" in page.content
    assert client.post(f"/admin/user/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [str(root.pk)], "post": "yes"}
    assert client.post("/admin/user/user/", bulk).status_code == 403
    assert User.objects.filter(pk=root.pk, is_active=True).exists()
