"""Routes of the building API."""

from contractor.building.api.fleet_views import FleetViewSet
from contractor.building.api.views import ComplexViewSet, DependencyViewSet, FoundationViewSet, StructureViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("foundations", FoundationViewSet, basename="foundation")
    router.register("structures", StructureViewSet, basename="structure")
    router.register("complexes", ComplexViewSet, basename="complex")
    router.register("dependencies", DependencyViewSet, basename="dependency")
    router.register("fleet-questions", FleetViewSet, basename="fleet-question")
