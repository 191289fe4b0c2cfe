"""Writes of the webhooks app: emitting events, subscriptions, acknowledgements."""

import fnmatch
import functools
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from contractor.building.models import Foundation
from contractor.db import validated, validated_save
from contractor.site.selectors import site_tree
from contractor.webhooks.choices import AckState, DeliveryState
from contractor.webhooks.models import AckRequest, Delivery, Event, Subscription, ack_token, ack_token_hash


def event_target(obj) -> tuple[str, str]:
    """The (kind, id) an event names for `obj`: foundations by locator, anything else by primary key."""
    if obj is None:
        return "", ""
    if isinstance(obj, Foundation):
        return "foundation", obj.locator
    return obj._meta.model_name, str(obj.pk)


def _matches(subscription: Subscription, event: Event, blueprint_ids, site_ids) -> bool:
    if not any(fnmatch.fnmatchcase(event.kind, pattern) for pattern in subscription.events):
        return False
    if subscription.site_id and subscription.site_id not in site_ids():
        return False
    if subscription.blueprint_id and subscription.blueprint_id not in blueprint_ids():
        return False
    return not subscription.target_kind or (subscription.target_kind, subscription.target_id) == (
        event.target_kind,
        event.target_id,
    )


def events_fan_out(*, rows: list[tuple[Event, object]]) -> None:
    """A pending delivery of each stored event (with its blueprint, as `events_prepare` pairs them) to each live
    subscription it matches: one read of the subscriptions."""
    now = timezone.now()
    live = list(Subscription.objects.filter(active=True).exclude(expires_at__lte=now))
    if not live:
        return
    deliveries = []
    for event, blueprint in rows:
        lineage = functools.cache(lambda bp=blueprint: {ancestor.pk for ancestor in bp.lineage()} if bp else set())
        # A subscription filtered by a site wants the events of its whole subtree: the event's site or one above it.
        chain = functools.cache(lambda e=event: set(site_tree().ancestors(e.site_id)) if e.site_id else set())
        deliveries += [Delivery(subscription=subscription, event=event, target_key=event.target_key,
                                next_attempt_at=now)
                       for subscription in live if _matches(subscription, event, lineage, chain)]  # fmt: skip
    Delivery.objects.bulk_create(deliveries)


def events_prepare(*, events: list[dict]) -> list[tuple[Event, object]]:
    """Validated, unsaved rows for events given as `event_emit`'s keywords, each with its blueprint: `events_emit`
    stores them; a caller that inserts them in a statement of its own (the foreman's step) then calls
    `events_fan_out`."""
    return [_event_row(**emitted) for emitted in events]


def _event_row(*, event: str, obj=None, data: dict | None = None, site=None) -> tuple[Event, object]:
    kind, target_id = event_target(obj)
    blueprint = getattr(obj, "blueprint", None)
    site = site if site is not None else getattr(obj, "site", None)
    payload = {"target": {"kind": kind, "id": target_id}, "site": site.name if site else None, "data": data or {}}
    row = Event(kind=event, payload=payload, target_kind=kind, target_id=target_id, site=site)
    row.blueprint_id = blueprint.pk if blueprint is not None else None
    # The site and blueprint are saved rows the caller holds: checking that they exist would cost a query each.
    validated(row, exclude=["site", "blueprint"])
    return row, blueprint


@transaction.atomic
def event_emit(*, event: str, obj=None, data: dict | None = None, site=None) -> Event:
    """Store an event (and a pending delivery per matching subscription) in the current transaction.

    `obj` is what the event is about (a foundation, structure, job...); its site and blueprint are used
    for subscription filters unless `site` is given. Nothing is sent here: the worker sends `Event.body()`.
    """
    return events_emit(events=[{"event": event, "obj": obj, "data": data, "site": site}])[0]


def events_emit(*, events: list[dict]) -> list[Event]:
    """Store several events (each the keywords of `event_emit`) and their deliveries in the caller's transaction:
    one insert for the events and one read of the subscriptions, however many there are."""
    rows = events_prepare(events=events)
    Event.objects.bulk_create([row for row, _ in rows])
    events_fan_out(rows=rows)
    return [row for row, _ in rows]


@transaction.atomic
def subscription_create(**fields) -> Subscription:
    """Subscribe a receiver URL to events."""
    return validated_save(Subscription(**fields))


@transaction.atomic
def subscription_update(*, subscription: Subscription, **fields) -> Subscription:
    """Change a subscription."""
    for name, value in fields.items():
        setattr(subscription, name, value)
    return validated_save(subscription)


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    """Delete a subscription with its deliveries (and their attempt logs); the events stay."""
    subscription.delete()


@transaction.atomic
def hardware_event_create(*, foundation: Foundation, kind: str, data: dict | None = None) -> Event:
    """A plugin or operator reports something about a foundation's hardware (`hardware.disk_failing`...)."""
    kind = kind if kind.startswith("hardware.") else f"hardware.{kind}"
    if not kind.removeprefix("hardware.").replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise ValidationError({"kind": "Letters, digits, '.', '_' and '-' only, such as disk_failing."})
    return event_emit(event=kind, obj=foundation, data=data)


@transaction.atomic
def ack_request_create(*, event: str, obj=None, data: dict | None = None, ack_url_base: str = "") -> AckRequest:
    """Emit `event` carrying an ack URL, and a waiting AckRequest that a receiver acknowledges through the API.

    The event's body (what receivers get) holds the token in `data.ack` with the URL (`ack_url_base` +
    `/api/v1/webhook-acks/<token>/`); nothing stores the token, the AckRequest only its hash (Event.body).
    """
    row = event_emit(event=event, obj=obj, data={**(data or {}), "ack": {"base": ack_url_base.rstrip("/")}})
    return validated_save(AckRequest(event=row, token_hash=ack_token_hash(ack_token(row))))


class AckTooLate(Exception):
    """The acknowledgement came after the job stopped waiting for it (its timeout passed): nothing was recorded."""


@transaction.atomic
def ack_request_acknowledge(*, token: str, data: dict | None = None) -> AckRequest:
    """Mark the request acknowledged; acknowledging twice is harmless, the first answer stays. Raises AckTooLate
    when the request has expired (the job that asked stopped waiting), so the receiver learns that it counted not."""
    # Looked up by the hash: what is compared is a digest of the token, not the token itself.
    ack = AckRequest.objects.select_for_update().filter(token_hash=ack_token_hash(token)).first()
    if ack is None:
        raise ValidationError({"token": "No acknowledgement request has this token."})
    if ack.state == AckState.EXPIRED:
        raise AckTooLate(
            "The job stopped waiting for this acknowledgement (its timeout passed, or it was cancelled); "
            "nothing was recorded."
        )
    if ack.state == AckState.WAITING:
        ack.state = AckState.ACKED
        ack.acked_at = timezone.now()
        ack.ack_data = data or {}
        validated_save(ack)
    return ack


def ack_requests_expire_for_job(*, job_id: int) -> int:
    """The job stops waiting for good (it was cancelled): each request it asked and still waits on expires, as at its
    timeout, so a late answer is refused and the event may be pruned. Returns how many did."""
    waiting = AckRequest.objects.filter(state=AckState.WAITING, event__payload__data__job=job_id)
    return waiting.update(state=AckState.EXPIRED)


def ack_request_expire(*, ack_id: int) -> bool:
    """The job that asked stops waiting (its timeout passed): a waiting request becomes expired, so a late answer is
    refused and the event may be pruned. True if it was waiting."""
    return bool(AckRequest.objects.filter(pk=ack_id, state=AckState.WAITING).update(state=AckState.EXPIRED))


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Put a failed or dropped delivery back in the queue for an attempt now."""
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "next_attempt_at"])
    return delivery


DEFAULT_EVENT_RETENTION_DAYS = 90
#: Events deleted per statement batch; a prune runs batches until fewer are left (so no lock is held for long).
PRUNE_BATCH = 1000


def event_retention_days() -> float:
    """How long events are kept (CONTRACTOR_EVENT_RETENTION_DAYS); 0 keeps them for ever."""
    return float(getattr(settings, "CONTRACTOR_EVENT_RETENTION_DAYS", DEFAULT_EVENT_RETENTION_DAYS))


def events_prune(*, before=None, batches: int | None = None) -> int:
    """Delete the events created before `before` (default: now less the retention) that nothing waits for any more,
    with their deliveries, attempt logs and acknowledgements; returns how many events went.

    An event is kept while a delivery of it is still pending to a live subscription (active, not expired) or its
    acknowledgement is still awaited. With a retention of 0 and no `before`, nothing is pruned. `batches` caps the
    batches of PRUNE_BATCH events (each its own transaction), so a worker that prunes between deliveries is not held.
    """
    now = timezone.now()
    if before is None:
        days = event_retention_days()
        if days <= 0:
            return 0
        before = now - timedelta(days=days)
    unexpired = Q(subscription__expires_at__isnull=True) | Q(subscription__expires_at__gt=now)
    live = Q(subscription__active=True) & unexpired
    still_due = Delivery.objects.filter(live, event=OuterRef("pk"), state=DeliveryState.PENDING)
    awaited = AckRequest.objects.filter(event=OuterRef("pk"), state=AckState.WAITING)
    prunable = Event.objects.filter(created__lt=before).exclude(Exists(still_due)).exclude(Exists(awaited))
    pruned, batch = 0, 0
    while batches is None or batch < batches:
        ids = list(prunable.order_by("pk").values_list("pk", flat=True)[:PRUNE_BATCH])
        if ids:
            with transaction.atomic():
                Event.objects.filter(pk__in=ids).delete()
        pruned, batch = pruned + len(ids), batch + 1
        if len(ids) < PRUNE_BATCH:
            break
    return pruned
