"""Reads of the webhooks app: which deliveries are due."""

from django.db.models import Min, Q
from django.utils import timezone

from contractor.webhooks.choices import DeliveryState
from contractor.webhooks.models import Delivery


def delivery_heads(*, now=None, exclude_queues=()) -> list[Delivery]:
    """The first pending delivery of each (subscription, target) queue, if it is due, oldest event first.

    Only queue heads are returned so that a later event about a target never overtakes an earlier one.
    Inactive and expired subscriptions are left out, and so are the queues in `exclude_queues` ((subscription id,
    target key) pairs: those with a delivery in flight). Two queries, whatever the queue lengths.
    """
    now = now or timezone.now()
    pending = Delivery.objects.filter(state=DeliveryState.PENDING, subscription__active=True).filter(
        Q(subscription__expires_at__isnull=True) | Q(subscription__expires_at__gt=now)
    )
    firsts = set(
        pending.values("subscription_id", "target_key")
        .annotate(first=Min("event_id"))
        .values_list("subscription_id", "target_key", "first")
    )
    candidates = pending.filter(event_id__in={first for _, _, first in firsts}, next_attempt_at__lte=now)
    candidates = candidates.select_related("event", "subscription").order_by("event_id", "pk")
    busy = set(exclude_queues)
    return [
        d
        for d in candidates
        if (d.subscription_id, d.target_key, d.event_id) in firsts and (d.subscription_id, d.target_key) not in busy
    ]
