"""Routes of the blueprint API."""

from contractor.blueprint.api.design_views import DesignViewSet
from contractor.blueprint.api.views import FoundationBluePrintViewSet, PXEViewSet, StructureBluePrintViewSet


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("foundation-blueprints", FoundationBluePrintViewSet, basename="foundationblueprint")
    router.register("structure-blueprints", StructureBluePrintViewSet, basename="structureblueprint")
    router.register("pxes", PXEViewSet, basename="pxe")
    router.register("design", DesignViewSet, basename="design")
