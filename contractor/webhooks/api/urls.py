"""Routes of the webhooks API."""

from contractor.webhooks.api.views import (
    AckViewSet,
    DeliveryViewSet,
    EventViewSet,
    HardwareEventViewSet,
    SubscriptionViewSet,
)


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
    router.register("webhook-subscriptions", SubscriptionViewSet, basename="webhook-subscription")
    router.register("webhook-events", EventViewSet, basename="webhook-event")
    router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
    router.register("hardware-events", HardwareEventViewSet, basename="hardware-event")
    router.register("webhook-acks", AckViewSet, basename="webhook-ack")
