"""Authentication end to end: API tokens, sessions, and what anonymous callers get."""

import pytest
from rest_framework.test import APIClient

from contractor.user import roles
from contractor.user.services import user_token

pytestmark = pytest.mark.django_db


def test_token_auth_end_to_end(make_user):
    """A real token in `Authorization: Token <key>` authenticates as its user."""
    key = user_token(user=make_user("tokenuser", roles.VIEWER)).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.data["username"] == "tokenuser"
    assert client.get("/api/v1/jobs/").status_code == 200


def test_reset_token_stops_the_old_one(make_user):
    """After a reset through me/token/, the old key is refused and the new one works."""
    user = make_user("rotator", roles.VIEWER)
    old = user_token(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    new = client.post("/api/v1/users/me/token/", {"reset": True}, format="json").data["key"]
    assert client.get("/api/v1/users/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert client.get("/api/v1/users/me/").status_code == 200


def test_bad_token_is_401(make_user):
    """An unknown token is a 401 with a WWW-Authenticate challenge, not a 403 or anonymous access."""
    make_user("someone", roles.VIEWER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get("/api/v1/jobs/")
    assert response.status_code == 401 and response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_inactive_users_token_is_401(make_user):
    """A deactivated user's token no longer works."""
    user = make_user("leaver", roles.VIEWER)
    key = user_token(user=user).key
    user.is_active = False
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/jobs/")
    assert response.status_code == 401 and response.json() == {"detail": "User inactive or deleted."}


def test_a_token_authenticates_as_its_whole_user(make_user):
    """The one-query lookup gives the user as the ORM would: its fields, and its groups' permissions behind them."""
    user = make_user("builder-bob", roles.BUILDER)
    key = user_token(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/users/me/").json()
    assert (me["username"], me["roles"]) == ("builder-bob", [roles.BUILDER])
    assert client.post("/api/v1/sites/", {"name": "nope"}, format="json").status_code == 403


def test_anonymous_is_401(anon_client):
    """Without credentials every collection answers 401."""
    assert anon_client.get("/api/v1/jobs/").status_code == 401
    assert anon_client.get("/api/v1/users/").status_code == 401


def test_session_auth(make_user):
    """A session from logging in authenticates API calls; writes through it need the CSRF token."""
    make_user("browser", roles.VIEWER)
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="browser", password="pw-for-tests")
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.data["username"] == "browser"
    assert client.post("/api/v1/users/me/token/", {}, format="json").status_code == 403
