"""Serializers of the webhooks API."""

from rest_framework import serializers

from contractor.api.permissions import can_see_secrets
from contractor.api.serializers import ModelSerializer, secret_names
from contractor.blueprint.models import BluePrint
from contractor.building.models import Foundation
from contractor.redaction import REDACTED, redact
from contractor.site.models import Site
from contractor.webhooks import services
from contractor.webhooks.models import (
    AckRequest,
    Delivery,
    DeliveryAttempt,
    Event,
    Subscription,
    may_acknowledge,
    payload_without_ack_token,
)


class SubscriptionSerializer(ModelSerializer):
    """A subscription; its secret is write-only except to users who may see secrets."""

    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all(), allow_null=True, required=False)
    blueprint = serializers.SlugRelatedField(
        slug_field="name", queryset=BluePrint.objects.all(), allow_null=True, required=False
    )
    secret = serializers.CharField(required=False, max_length=200)

    class Meta:
        model = Subscription
        fields = [
            "name",
            "url",
            "events",
            "site",
            "blueprint",
            "target_kind",
            "target_id",
            "secret",
            "one_shot",
            "expires_at",
            "active",
            "created",
            "updated",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not (request and can_see_secrets(request.user)):
            data.pop("secret", None)
        return data

    def create(self, validated_data):
        return services.subscription_create(**validated_data)

    def update(self, instance, validated_data):
        return services.subscription_update(subscription=instance, **validated_data)


class EventSerializer(ModelSerializer):
    """An event as receivers get it, plus where it is about; an ack token only for those who may acknowledge."""

    site = serializers.SlugRelatedField(slug_field="name", read_only=True)
    body = serializers.JSONField(read_only=True)

    class Meta:
        model = Event
        fields = ["id", "kind", "target_kind", "target_id", "site", "body", "created"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # `ack_token_presented`: the request came by the token (the ack's own URL), so it shows nothing new.
        user = getattr(request, "user", None)
        if not (self.context.get("ack_token_presented") or may_acknowledge(user)):
            data["body"] = payload_without_ack_token(data["body"], REDACTED)
        if not can_see_secrets(user):
            # An event's data can hold config-like values (a located foundation's id_map); its ack (a token and
            # URL Contractor made) is already shown or hidden above.
            event_data = data["body"].get("data")
            ack = event_data.get("ack") if isinstance(event_data, dict) else None
            data["body"] = redact(data["body"], secret_names(self.context))
            if ack is not None:
                data["body"]["data"]["ack"] = ack
        return data


class DeliveryAttemptSerializer(ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["status_code", "response_time_ms", "error", "created"]


class DeliverySerializer(ModelSerializer):
    """A delivery with its attempt log."""

    subscription = serializers.SlugRelatedField(slug_field="name", read_only=True)
    kind = serializers.CharField(source="event.kind", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "subscription",
            "event",
            "kind",
            "target_key",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "response_time_ms",
            "error",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields


class HardwareEventSerializer(serializers.Serializer):
    """A hardware event reported for a foundation: `{"foundation": locator, "kind": "disk_failing", "data": {}}`."""

    foundation = serializers.SlugRelatedField(slug_field="locator", queryset=Foundation.objects.all())
    kind = serializers.CharField(max_length=40)
    data = serializers.JSONField(required=False, default=dict)

    def validate_data(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("A JSON object.")
        return value


class AckSerializer(ModelSerializer):
    """The state of an acknowledgement request; POST `{"data": {...}}` to acknowledge."""

    event = EventSerializer(read_only=True)
    data = serializers.JSONField(required=False, default=dict, write_only=True)

    class Meta:
        model = AckRequest
        fields = ["state", "acked_at", "ack_data", "event", "data"]
        read_only_fields = ["state", "acked_at", "ack_data", "event"]
