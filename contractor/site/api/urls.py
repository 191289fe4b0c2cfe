"""Routes of the site API."""

from contractor.site.api.views import SiteViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("sites", SiteViewSet, basename="site")
