"""Routes of the webhooks API."""

from django.urls import path

from contractor.webhooks.api.views import (
    AckListViewSet,
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
    router.register("webhook-acks", AckListViewSet, basename="webhook-ack")


# An ack's own URL answers GET (its state) and POST (acknowledging), which a router's detail route cannot.
urlpatterns = [
    path(
        "webhook-acks/<str:token>/",
        AckViewSet.as_view({"get": "retrieve", "post": "acknowledge"}),
        name="webhook-ack-detail",
    ),
]
