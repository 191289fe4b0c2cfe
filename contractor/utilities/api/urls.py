"""Routes of the utilities API."""

from contractor.utilities.api import views


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("networks", views.NetworkViewSet)
    router.register("address-blocks", views.AddressBlockViewSet)
    router.register("addresses", views.AddressViewSet)
    router.register("interfaces", views.RealNetworkInterfaceViewSet)
    router.register("aggregated-interfaces", views.AggregatedNetworkInterfaceViewSet)
