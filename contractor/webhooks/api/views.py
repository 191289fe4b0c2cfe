"""Viewsets of the webhooks API."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.webhooks import services
from contractor.webhooks.api import serializers
from contractor.webhooks.filtersets import DeliveryFilterSet, EventFilterSet, SubscriptionFilterSet
from contractor.webhooks.models import AckRequest, Delivery, Event, Subscription, ack_token_hash


class CanChangeDelivery(permissions.BasePermission):
    """Retrying a delivery changes it: `webhooks.change_delivery`."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("webhooks.change_delivery"))


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Webhook subscriptions, addressed by name."""

    queryset = Subscription.objects.select_related("site", "blueprint")
    serializer_class = serializers.SubscriptionSerializer
    filterset_class = SubscriptionFilterSet
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    search_fields = ["name", "url"]

    def perform_destroy(self, instance):
        services.subscription_delete(subscription=instance)


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Every event emitted, newest last."""

    queryset = Event.objects.select_related("site")
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilterSet


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Deliveries with their attempt log; POST `retry/` to queue a failed one again."""

    queryset = Delivery.objects.select_related("subscription", "event").prefetch_related("attempt_log")
    serializer_class = serializers.DeliverySerializer
    filterset_class = DeliveryFilterSet

    @extend_schema(request=None, responses=serializers.DeliverySerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanChangeDelivery])
    def retry(self, request, **kwargs):
        delivery = services.delivery_retry(delivery=self.get_object())
        return Response(self.get_serializer(delivery).data)


class HardwareEventViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Hardware events about foundations, posted by plugins or operators (a failing disk, say)."""

    queryset = Event.objects.filter(kind__startswith="hardware.").select_related("site")
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilterSet

    def get_serializer_class(self):
        return serializers.HardwareEventSerializer if self.action == "create" else serializers.EventSerializer

    @extend_schema(request=serializers.HardwareEventSerializer, responses={201: serializers.EventSerializer})
    def create(self, request, *args, **kwargs):
        body = serializers.HardwareEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = services.hardware_event_create(**body.validated_data)
        return Response(serializers.EventSerializer(event).data, status=status.HTTP_201_CREATED)


class _AckRequests(viewsets.GenericViewSet):
    """Acknowledgement requests. `/webhook-acks/<token>/`: GET shows its state, POST `{"data": {...}}` acknowledges.

    The token in the URL is the credential: the receiver got it in the signed event and needs no account.
    Listing them all needs `webhooks.view_ackrequest`.
    """

    queryset = AckRequest.objects.select_related("event", "event__site")
    serializer_class = serializers.AckSerializer
    lookup_field = "token"
    lookup_value_regex = "[^/]+"

    def get_object(self):
        # The token is in no row: the request is found by its hash (services.ack_request_acknowledge likewise).
        ack = self.get_queryset().filter(token_hash=ack_token_hash(self.kwargs["token"])).first()
        if ack is None:
            raise Http404("No acknowledgement request has this token.")
        return ack

    def get_permissions(self):
        if self.action == "list":
            return super().get_permissions()
        return [permissions.AllowAny()]


class AckListViewSet(mixins.ListModelMixin, _AckRequests):
    """The list, which the router routes."""


class AckViewSet(mixins.RetrieveModelMixin, _AckRequests):
    """One ack's URL, answering GET and POST (`urls.urlpatterns`: a router maps no POST onto a detail route)."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "ack_token_presented": True}

    @extend_schema(
        request=serializers.AckSerializer,
        responses=serializers.AckSerializer,
        description='Acknowledge with `{"data": {...}}`; the token is the credential. A second one changes nothing.',
    )
    def acknowledge(self, request, token=None):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            ack = services.ack_request_acknowledge(token=token, data=body.validated_data.get("data"))
        except services.AckTooLate as late:
            return Response({"non_field_errors": [str(late)]}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(ack).data)
