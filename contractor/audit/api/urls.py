"""Routes of the audit API."""

from contractor.audit.api.views import ObjectChangeViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("object-changes", ObjectChangeViewSet, basename="object-change")
