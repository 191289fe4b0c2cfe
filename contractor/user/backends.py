"""Login lockout: django-axes in front of Django's password check, with a cool-off that grows."""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max

MAX_COOLOFF = timedelta(days=1)


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a web login (the admin's, the API's session login) from a client that failed too often.

    Authentication with no request (a test client's login(), a manage.py command) has no client to count: it
    passes on to the next backend, Django's own.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_cooloff(request=None) -> timedelta:
    """How long a locked-out client waits (AXES_COOLOFF_TIME): CONTRACTOR_LOGIN_LOCKOUT_SECONDS, doubled for
    each failure past the limit (failures while locked out count too), at most a day."""
    base = timedelta(seconds=settings.CONTRACTOR_LOGIN_LOCKOUT_SECONDS)
    address = getattr(request, "axes_ip_address", None)
    if address is None:
        return base
    failures = AccessAttempt.objects.filter(ip_address=address).aggregate(most=Max("failures_since_start"))["most"]
    beyond = max(0, (failures or 0) - settings.AXES_FAILURE_LIMIT)
    return min(base * 2 ** min(beyond, 20), MAX_COOLOFF)
