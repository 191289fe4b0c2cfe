"""The /api/v1/users/ collection: CRUD by those allowed, roles, `me/` and the caller's token."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contractor.user import roles

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/"
User = get_user_model()


def test_superuser_creates_user_with_roles_and_password(admin_client_api):
    """POST creates a user in the given roles; the password works and is never shown."""
    response = admin_client_api.post(
        URL,
        {"username": "carol", "email": "c@example.com", "roles": [roles.BUILDER], "password": "long-enough-pw"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["roles"] == [roles.BUILDER]
    assert "password" not in response.data
    carol = User.objects.get(username="carol")
    assert carol.check_password("long-enough-pw")
    assert carol.has_perm("building.add_structure")


def test_user_created_without_password_cannot_log_in(admin_client_api):
    """A user created with no password has an unusable one (token-only accounts)."""
    assert admin_client_api.post(URL, {"username": "robot"}, format="json").status_code == 201
    assert not User.objects.get(username="robot").has_usable_password()


def test_detail_by_username_and_fields(admin_client_api, make_user):
    """A user is addressed by username (dots allowed) and shows the documented fields."""
    make_user("ops.bot", roles.VIEWER)
    response = admin_client_api.get(f"{URL}ops.bot/")
    assert response.status_code == 200
    assert set(response.data) == {
        "username",
        "first_name",
        "last_name",
        "email",
        "description",
        "is_active",
        "roles",
        "date_joined",
        "last_login",
    }
    assert response.data["roles"] == [roles.VIEWER]


def test_patch_replaces_roles_and_keeps_other_groups(admin_client_api, make_user):
    """PATCH roles swaps the role groups and leaves non-role groups alone."""
    from django.contrib.auth.models import Group

    user = make_user("dave", roles.VIEWER)
    user.groups.add(Group.objects.create(name="on-call"))
    response = admin_client_api.patch(f"{URL}dave/", {"roles": [roles.INFRA_ADMIN]}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["roles"] == [roles.INFRA_ADMIN]
    assert sorted(user.groups.values_list("name", flat=True)) == ["infrastructure-admin", "on-call"]


def test_patch_without_roles_keeps_them(admin_client_api, make_user):
    """PATCH of other fields leaves the roles as they were."""
    make_user("erin", roles.BUILDER)
    response = admin_client_api.patch(f"{URL}erin/", {"description": "night shift"}, format="json")
    assert response.data["roles"] == [roles.BUILDER]
    assert response.data["description"] == "night shift"


def test_unknown_role_is_a_400_naming_roles(admin_client_api):
    """An unknown role name is rejected, naming the roles field."""
    response = admin_client_api.post(URL, {"username": "x", "roles": ["god"]}, format="json")
    assert response.status_code == 400
    assert "roles" in response.data


def test_short_password_is_a_400_naming_password(admin_client_api):
    """The password validators run, and their complaint names the password field."""
    response = admin_client_api.post(URL, {"username": "x", "password": "short"}, format="json")
    assert response.status_code == 400
    assert "password" in response.data
    assert not User.objects.filter(username="x").exists()


def test_username_me_is_reserved(admin_client_api):
    """The username "me" is refused, since /users/me/ is the caller."""
    response = admin_client_api.post(URL, {"username": "me"}, format="json")
    assert response.status_code == 400
    assert "username" in response.data


def test_duplicate_username_is_a_400(admin_client_api, make_user):
    """Creating a user whose username exists is rejected naming the username field."""
    make_user("frank")
    response = admin_client_api.post(URL, {"username": "frank"}, format="json")
    assert response.status_code == 400
    assert "username" in response.data


def test_delete_user(admin_client_api, make_user):
    """DELETE removes a user."""
    make_user("gone")
    assert admin_client_api.delete(f"{URL}gone/").status_code == 204
    assert not User.objects.filter(username="gone").exists()


@pytest.mark.parametrize("role", [roles.VIEWER, roles.BUILDER, roles.INFRA_ADMIN, roles.SUBCONTRACTOR])
def test_roles_may_not_change_users(make_user, role):
    """No operator role may create or change users: that needs a superuser or user.add/change_user."""
    client = APIClient()
    client.force_authenticate(make_user("someone", role))
    make_user("target")
    assert client.post(URL, {"username": "new"}, format="json").status_code == 403
    assert client.patch(f"{URL}target/", {"roles": [roles.INFRA_ADMIN]}, format="json").status_code == 403
    assert client.delete(f"{URL}target/").status_code == 403


def test_holder_of_change_user_may_change_roles(make_user):
    """A user holding user.change_user (without being superuser) may change another's roles to ones they hold."""
    from django.contrib.auth.models import Permission

    manager = make_user("manager", roles.BUILDER)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    make_user("target", roles.VIEWER)
    client = APIClient()
    client.force_authenticate(manager)
    response = client.patch(f"{URL}target/", {"roles": [roles.BUILDER]}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["roles"] == [roles.BUILDER]


def test_list_filters_by_role_and_username(admin_client_api, make_user):
    """`?role=` keeps users holding that role; `?username__icontains=` matches part of the name."""
    make_user("anna", roles.VIEWER)
    make_user("bob", roles.BUILDER)
    response = admin_client_api.get(URL, {"role": roles.BUILDER})
    assert [user["username"] for user in response.data["results"]] == ["bob"]
    response = admin_client_api.get(URL, {"username__icontains": "NN"})
    assert [user["username"] for user in response.data["results"]] == ["anna"]


@pytest.mark.parametrize("role", [roles.VIEWER, roles.SUBCONTRACTOR])
def test_me_works_for_any_authenticated_user(make_user, role):
    """GET me/ returns the caller's own record and permissions, even without view_user."""
    client = APIClient()
    client.force_authenticate(make_user("self", role))
    response = client.get(f"{URL}me/")
    assert response.status_code == 200
    assert response.data["username"] == "self"
    assert response.data["roles"] == [role]
    assert client.get(URL).status_code == 403
    expected = "site.view_site" if role == roles.VIEWER else "user.act_as_subcontractor"
    assert expected in response.data["permissions"]


def test_me_needs_authentication(anon_client):
    """Anonymous callers get 401 from me/ and me/token/."""
    assert anon_client.get(f"{URL}me/").status_code == 401
    assert anon_client.post(f"{URL}me/token/").status_code == 401


def test_token_is_stable_until_reset(make_user):
    """POST me/token/ returns the same token each time; `reset: true` replaces it with a new one."""
    user = make_user("tok", roles.VIEWER)
    client = APIClient()
    client.force_authenticate(user)
    first = client.post(f"{URL}me/token/", {}, format="json")
    assert first.status_code == 200
    assert client.post(f"{URL}me/token/", {}, format="json").data["key"] == first.data["key"]
    reset = client.post(f"{URL}me/token/", {"reset": True}, format="json")
    assert reset.data["key"] != first.data["key"]
    assert Token.objects.get(user=user).key == reset.data["key"]


def test_list_query_budget(admin_client_api, make_user, django_assert_max_num_queries):
    """Listing users costs the same few queries for 3 or 30 users (groups are prefetched)."""
    for count in (3, 30):
        for index in range(count - User.objects.count()):
            make_user(f"u{count}-{index}", roles.VIEWER)
        with django_assert_max_num_queries(5):
            response = admin_client_api.get(URL, {"limit": 100})
        assert response.data["count"] == count
