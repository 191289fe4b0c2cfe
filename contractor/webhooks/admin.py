"""Admin of the webhooks app: subscriptions to edit; events and deliveries to inspect."""

from django.contrib import admin
from django.db import models

from contractor.redaction import REDACTED, can_see_secrets
from contractor.webhooks.models import (
    AckRequest,
    Delivery,
    DeliveryAttempt,
    Event,
    Subscription,
    may_acknowledge,
    payload_without_ack_token,
)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "one_shot", "expires_at"]
    list_filter = ["active", "one_shot"]
    search_fields = ["name", "url"]
    list_select_related = ["site", "blueprint"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_exclude(self, request, obj=None):
        # The HMAC key signs every delivery: only those who may see secrets see (and so change) it.
        hidden = [] if can_see_secrets(request.user) else ["secret"]
        return [*(super().get_exclude(request, obj) or []), *hidden]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "target_kind", "target_id", "site", "created"]
    list_filter = ["kind"]
    search_fields = ["kind", "target_id"]
    list_select_related = ["site"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def get_object(self, request, object_id, from_field=None):
        # Every field is read-only, so the object shown is never saved: its ack token is hidden in memory.
        event = super().get_object(request, object_id, from_field)
        if event is not None and not may_acknowledge(request.user):
            event.payload = payload_without_ack_token(event.payload, REDACTED)
        return event


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["status_code", "response_time_ms", "error", "created"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "subscription", "state", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["state"]
    list_select_related = ["event", "subscription"]
    inlines = [DeliveryAttemptInline]
    readonly_fields = ["event", "subscription", "target_key", "attempts", "last_status_code", "response_time_ms"]


@admin.register(AckRequest)
class AckRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "state", "acked_at"]
    list_filter = ["state"]
    list_select_related = ["event"]

    def get_exclude(self, request, obj=None):
        # The token is the credential a receiver acknowledges with: only those who may acknowledge see it.
        hidden = [] if may_acknowledge(request.user) else ["token"]
        return [*(super().get_exclude(request, obj) or []), *hidden]
