"""Routes of the user API."""

from contractor.user.api.views import UserViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("users", UserViewSet, basename="user")
