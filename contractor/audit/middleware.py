"""Who is acting in a request: its user, read when an entry is written, so API token users count too."""

from auditlog.context import set_actor
from django.utils.functional import SimpleLazyObject

from contractor.audit.context import acting_as


class AuditMiddleware:
    """django-auditlog's actor and address for each request, and whether it came through the admin or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "admin" if request.path.startswith("/admin/") else "api"
        with set_actor(SimpleLazyObject(lambda: _user(request)), remote_addr=request.META.get("REMOTE_ADDR")):
            with acting_as(source):
                return self.get_response(request)


def _user(request):
    # DRF sets request.user on the underlying Django request once it has authenticated a token.
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
