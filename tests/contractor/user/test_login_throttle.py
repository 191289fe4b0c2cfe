"""Logins and tokens are throttled per client: django-axes locks the admin and session logins out, DRF throttles
failed tokens; both answer 429s with a delay that grows with further failures."""

from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contractor.api.authentication import AuthFailureThrottle
from contractor.user.backends import login_cooloff

pytestmark = pytest.mark.django_db

LOGINS = {"admin": "/admin/login/?next=/admin/", "session": "/api-auth/login/?next=/api/v1/users/me/"}


def test_the_real_limits():
    """Five failed logins and ten failed tokens a minute per client, unless the operator sets others."""
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.CONTRACTOR_LOGIN_LOCKOUT_SECONDS == 60
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth-failure"] == "10/min"


@pytest.mark.parametrize("login", list(LOGINS))
def test_a_client_that_fails_too_often_is_locked_out_and_waits_longer_for_each_failure(client, make_user, login):
    """The AXES_FAILURE_LIMIT-th wrong password is answered 429, and so is the right one after it; each
    further failure doubles the cool-off; once it has passed, the right password works again."""
    alice = make_user("alice")
    alice.is_staff = True  # the admin's login form takes staff only
    alice.save()
    url = LOGINS[login]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "alice", "password": "wrong"}).status_code == 200  # the form again
    assert client.post(url, {"username": "alice", "password": "wrong"}).status_code == 429  # the limit: locked out
    locked = client.post(url, {"username": "alice", "password": "pw-for-tests"})
    assert locked.status_code == 429
    assert "too many login attempts" in locked.content.decode().lower()
    client_of = SimpleNamespace(axes_ip_address="127.0.0.1")
    first = login_cooloff(client_of)
    for _ in range(2):  # guessing on while locked out
        assert client.post(url, {"username": "alice", "password": "guess"}).status_code == 429
    assert login_cooloff(client_of) > first
    # another client address is not locked out
    assert (
        client.post(url, {"username": "alice", "password": "pw-for-tests"}, REMOTE_ADDR="10.9.9.9").status_code == 302
    )
    # the cool-off passes
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - login_cooloff(client_of) * 2)
    assert client.post(url, {"username": "alice", "password": "pw-for-tests"}).status_code == 302


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def test_failed_tokens_get_429s_with_a_growing_retry_after(make_user, monkeypatch):
    """Ten bad tokens a minute from one client, then 429s with Retry-After, for good tokens too; ten more after
    the wait block it for twice as long; other clients are not affected."""
    clock = Clock()
    monkeypatch.setattr(AuthFailureThrottle, "timer", clock)
    good = Token.objects.create(user=make_user("tok")).key
    client = APIClient()
    for _ in range(10):
        assert client.get("/api/v1/users/me/", HTTP_AUTHORIZATION="Token nope").status_code == 401
    refused = client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {good}")
    assert refused.status_code == 429
    first_wait = int(refused["Retry-After"])
    assert first_wait == 60
    assert "Too many failed authentications" in refused.json()["detail"]
    other = client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {good}", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200
    assert client.get("/api/v1/users/me/").status_code == 401  # no credentials: not throttled, just anonymous
    clock.now += first_wait + 1
    for _ in range(10):  # guessing on once the wait is over
        assert client.get("/api/v1/users/me/", HTTP_AUTHORIZATION="Token still-wrong").status_code == 401
    again = client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {good}")
    assert again.status_code == 429
    assert int(again["Retry-After"]) == 2 * first_wait
    clock.now += int(again["Retry-After"]) + 1
    assert client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {good}").status_code == 200
