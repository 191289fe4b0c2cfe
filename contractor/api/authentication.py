"""Token authentication whose failures are throttled per client (DRF's throttle machinery and cache)."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from contractor.db import columns_of, execute_prepared, instances_from_row

MAX_WAIT_SECONDS = 24 * 3600


class AuthFailureThrottle(SimpleRateThrottle):
    """Failed authentications per client address, at the `auth-failure` rate of DEFAULT_THROTTLE_RATES.

    A client that fails that many times within the rate's window is refused, every request with credentials,
    for one window; each time it does so again (within a day) the refusal lasts twice as long, up to a day:
    guessing gets slower and slower, not just paced.
    """

    scope = "auth-failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _state(self, request) -> dict:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        return self.cache.get(self.key) or {"failures": [], "strikes": 0, "until": 0.0}

    def wait_seconds(self, request) -> float:
        """0 when the client may try; else how long it must still wait."""
        return max(0.0, self._state(request)["until"] - self.now)

    def failed(self, request) -> None:
        """Count one failure of this client; the one that reaches the rate starts a refusal."""
        state = self._state(request)
        state["failures"] = [moment for moment in state["failures"] if moment > self.now - self.duration] + [self.now]
        if len(state["failures"]) >= self.num_requests:
            state["until"] = self.now + min(self.duration * 2 ** min(state["strikes"], 20), MAX_WAIT_SECONDS)
            state["strikes"] += 1
            state["failures"] = []
        self.cache.set(self.key, state, MAX_WAIT_SECONDS)


class ThrottledTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused with a 429 (and Retry-After) while the client has failed too often."""

    def authenticate(self, request):
        if not request.META.get("HTTP_AUTHORIZATION"):
            return None
        throttle = AuthFailureThrottle()
        wait = throttle.wait_seconds(request)
        if wait:
            raise exceptions.Throttled(wait, detail=f"Too many failed authentications; try again in {wait:.0f} s.")
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.failed(request)
            raise

    def authenticate_credentials(self, key):
        """DRF's lookup (the token's user, refused if unknown or inactive) as one statement built once per process:
        compiling the ORM query was a third of the CPU of a subcontractor's poll."""
        user_model = get_user_model()
        with connection.cursor() as cursor:
            execute_prepared(cursor, _token_sql(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        (user, token), _ = instances_from_row((user_model, Token), row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        Token.user.field.set_cached_value(token, user)
        return user, token


@functools.cache
def _token_sql() -> str:
    """The user and the token of a key, in one query."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    users, tokens = quote(user_model._meta.db_table), quote(Token._meta.db_table)
    return (
        f"SELECT {columns_of(user_model, 'u')}, {columns_of(Token, 't')} FROM {tokens} t "
        f"JOIN {users} u ON u.{quote('id')} = t.{quote('user_id')} WHERE t.{quote('key')} = %s"
    )
