"""Events past their retention go, with their deliveries and attempt logs, once nothing waits for them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from contractor.webhooks import delivery, services
from contractor.webhooks.choices import AckState, DeliveryState
from contractor.webhooks.models import AckRequest, Delivery, DeliveryAttempt, Event
from contractor.webhooks.services import ack_request_create, event_emit, events_prune

pytestmark = pytest.mark.django_db


def aged(event: Event, days: float) -> Event:
    """The event as if emitted `days` ago (created is auto_now_add, so it is moved by an update)."""
    Event.objects.filter(pk=event.pk).update(created=timezone.now() - timedelta(days=days))
    return event


def settle(event: Event, state=DeliveryState.DELIVERED) -> None:
    for row in Delivery.objects.filter(event=event):
        DeliveryAttempt.objects.create(delivery=row, status_code=200, response_time_ms=3)
    Delivery.objects.filter(event=event).update(state=state)


def left() -> set[int]:
    return set(Event.objects.values_list("pk", flat=True))


def test_old_settled_events_go_with_their_deliveries_and_attempts(structure, make_subscription, settings):
    """Delivered, failed and dropped events older than the retention go; a young one and ones still owed stay."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 30
    make_subscription()
    gone = []
    for state in (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.DROPPED):
        event = aged(event_emit(event="structure.built", obj=structure), 31)
        settle(event, state)
        gone.append(event.pk)
    young = event_emit(event="structure.built", obj=structure)
    settle(young)
    owed = aged(event_emit(event="structure.built", obj=structure), 31)  # still pending to a live subscription
    assert events_prune() == 3
    assert left() == {young.pk, owed.pk}
    assert not Delivery.objects.filter(event_id__in=gone).exists()
    assert DeliveryAttempt.objects.filter(delivery__event=young).count() == 1
    assert Delivery.objects.get(event=owed).state == DeliveryState.PENDING


def test_a_pending_delivery_to_a_dead_subscription_does_not_keep_its_event(structure, make_subscription, settings):
    """A delivery that can never go (its subscription deactivated or expired) keeps no event past the retention."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 30
    inactive = make_subscription()
    expired = make_subscription()
    first = aged(event_emit(event="structure.built", obj=structure), 40)
    inactive.active = False
    inactive.save()
    expired.expires_at = timezone.now() - timedelta(days=1)
    expired.save()
    assert Delivery.objects.filter(event=first, state=DeliveryState.PENDING).count() == 2
    assert events_prune() == 1 and left() == set()


def test_an_awaited_acknowledgement_keeps_its_event(structure, settings):
    """An event whose acknowledgement a job may still wait for stays; once acknowledged it can go."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 30
    ack = ack_request_create(event="structure.ready", obj=structure)
    aged(ack.event, 31)
    assert events_prune() == 0 and left() == {ack.event_id}
    AckRequest.objects.filter(pk=ack.pk).update(state=AckState.ACKED, acked_at=timezone.now())
    assert events_prune() == 1 and not AckRequest.objects.exists()


def test_an_expired_acknowledgement_keeps_nothing(structure, settings):
    """Once the job stopped waiting (ack_request_expire), the request no longer holds its event back."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 30
    ack = ack_request_create(event="structure.ready", obj=structure)
    aged(ack.event, 31)
    assert services.ack_request_expire(ack_id=ack.pk) and not services.ack_request_expire(ack_id=ack.pk)
    assert events_prune() == 1 and left() == set()


def test_a_retention_of_zero_keeps_everything(structure, settings):
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 0
    event = aged(event_emit(event="structure.built", obj=structure), 3650)
    assert events_prune() == 0 and left() == {event.pk}


def test_a_prune_deletes_in_batches_and_stops_at_its_cap(structure, settings, monkeypatch):
    """Batches of PRUNE_BATCH, each its own transaction; `batches` caps a call, the next call takes the rest."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 1
    monkeypatch.setattr(services, "PRUNE_BATCH", 3)
    for _ in range(8):
        aged(event_emit(event="structure.built", obj=structure), 2)
    assert events_prune(batches=2) == 6 and len(left()) == 2
    assert events_prune(batches=2) == 2 and left() == set()


def test_the_sender_prunes_on_its_first_turn_then_hourly(structure, settings, monkeypatch):
    """The webhook worker's first turn prunes; the next turns do not until PRUNE_SECONDS have passed."""
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 30
    aged(event_emit(event="structure.built", obj=structure), 31)
    worker = delivery.Worker(threads=1)
    try:
        assert worker.prune() == 1
        aged(event_emit(event="structure.built", obj=structure), 31)
        assert worker.prune() == 0 and len(left()) == 1
        worker._prune_at = 0.0  # an hour later
        worker.cycle(poll=0)
        assert left() == set()
    finally:
        worker.close()


def test_manage_py_webhooks_prune_says_how_many(structure, settings):
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 7
    aged(event_emit(event="structure.built", obj=structure), 8)
    out = StringIO()
    call_command("webhooks", "--prune", stdout=out)
    assert out.getvalue().strip() == "Pruned 1 event(s) older than 7 day(s)" and left() == set()
    settings.CONTRACTOR_EVENT_RETENTION_DAYS = 0
    call_command("webhooks", "--prune", stdout=out)
    assert "kept for ever" in out.getvalue()
