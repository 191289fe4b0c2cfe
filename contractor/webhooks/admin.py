"""Admin of the webhooks app: subscriptions to edit; events and deliveries to inspect."""

from django.contrib import admin
from django.db import models

from contractor.redaction import can_see_secrets
from contractor.webhooks.models import (
    AckRequest,
    Delivery,
    DeliveryAttempt,
    Event,
    Subscription,
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
    # No ack token to hide: an event stores none (Event.body works it out for its deliveries).
    readonly_fields = [f.name for f in Event._meta.fields]


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

    # Only the token's sha256 is kept; the token itself (the receiver's credential) is in no row.
    readonly_fields = ["token_hash"]
