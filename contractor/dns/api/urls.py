"""Routes of the dns API."""

from contractor.dns.api.views import ZoneViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("zones", ZoneViewSet, basename="zone")
