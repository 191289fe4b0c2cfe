"""Routes of the discovered machines API."""

from contractor.discovery.api.views import DiscoveredMachineViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("discovered", DiscoveredMachineViewSet, basename="discovered-machine")
