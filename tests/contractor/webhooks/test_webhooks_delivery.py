"""The delivery worker against real HTTP receivers on 127.0.0.1: signed, retried, in order, never held up."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from contractor.webhooks.choices import DeliveryState
from contractor.webhooks.delivery import SIGNATURE_HEADER, backoff, verify
from contractor.webhooks.models import Delivery, DeliveryAttempt
from contractor.webhooks.services import event_emit
from tests.contractor.webhooks.conftest import Receiver
from tests.factories import StructureFactory

pytestmark = pytest.mark.django_db


def later(seconds=3600):
    return timezone.now() + timedelta(seconds=seconds)


def test_delivery_is_signed_json_with_event_headers(structure, make_subscription, make_receiver, worker):
    """The body is the event's JSON; the HMAC-SHA256 header verifies with the secret; id and kind are headers."""
    receiver = make_receiver()
    make_subscription(url=receiver.url, secret="topsecret")
    event = event_emit(event="structure.built", obj=structure)
    assert worker.run_once() == 1
    _, headers, body = receiver.requests[0]
    assert verify(body, "topsecret", headers[SIGNATURE_HEADER])
    assert not verify(body, "wrong", headers[SIGNATURE_HEADER])
    assert headers["X-Contractor-Event"] == "structure.built"
    assert headers["X-Contractor-Event-Id"] == str(event.pk)
    assert receiver.payloads == [event.body()]
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.DELIVERED, 1, 200)


def test_receiver_down_for_a_while_gets_every_event_in_order_per_target(make_subscription, make_receiver, worker):
    """While down, only the first event per target is retried (with backoff); once back, all arrive in order."""
    receiver = make_receiver()
    receiver.fail_next = 1000
    make_subscription(url=receiver.url)
    web, db = StructureFactory(hostname="web"), StructureFactory(hostname="db")
    for kind in ("structure.created", "structure.built", "structure.destroyed"):
        event_emit(event=kind, obj=web)
        event_emit(event=kind, obj=db)
    assert worker.run_once() == 2  # the head of each target's queue, once; the rest wait behind them
    assert Delivery.objects.filter(attempts=1).count() == 2
    first_retry = Delivery.objects.filter(attempts=1).first().next_attempt_at
    assert timedelta(seconds=9) < first_retry - timezone.now() <= timedelta(seconds=10)
    assert worker.run_once(now=later()) == 2
    assert Delivery.objects.filter(attempts=2).count() == 2
    receiver.fail_next = 0
    assert worker.run_once(now=later()) == 6
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == 6
    for hostname, target in (("web", web), ("db", db)):
        kinds = [p["event"] for p in receiver.accepted if p["target"]["id"] == str(target.pk)]
        assert kinds == ["structure.created", "structure.built", "structure.destroyed"], hostname
    assert DeliveryAttempt.objects.count() == 10
    assert set(DeliveryAttempt.objects.values_list("status_code", flat=True)) == {500, 200}


def test_slow_receiver_does_not_hold_up_others(structure, make_subscription, make_receiver, worker):
    """A receiver slower than the timeout is cut off at the timeout, and a fast one is served meanwhile."""
    slow, fast = make_receiver(), make_receiver()
    slow.delay = 2.0
    make_subscription(name="slow", url=slow.url)
    make_subscription(name="fast", url=fast.url)
    started = time.monotonic()
    for kind in ("structure.created", "structure.built"):
        event_emit(event=kind, obj=structure)
    worker.run_once()
    elapsed = time.monotonic() - started
    assert elapsed < 1.5  # the timeout (0.5 s) is honoured, not the receiver's 2 s
    assert [p["event"] for p in fast.payloads] == ["structure.created", "structure.built"]
    assert fast.requests[-1][0] - started < 0.45  # both delivered before the slow one's timeout
    slow_delivery = Delivery.objects.get(subscription__name="slow", event__kind="structure.created")
    assert slow_delivery.state == DeliveryState.PENDING
    assert "Timeout" in slow_delivery.error
    assert slow_delivery.next_attempt_at > timezone.now()


def test_receiver_that_never_answers_times_out_and_is_retried(structure, make_subscription, make_receiver, worker):
    """A hanging receiver costs one timeout; the attempt is logged with no status and a retry is scheduled."""
    receiver = make_receiver()
    receiver.hang = True
    make_subscription(url=receiver.url)
    event_emit(event="structure.built", obj=structure)
    started = time.monotonic()
    assert worker.run_once() == 1
    assert time.monotonic() - started < 1.5
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "Timeout" in attempt.error
    assert attempt.response_time_ms >= 450
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.next_attempt_at > timezone.now()


def test_gives_up_after_max_attempts(structure, make_subscription, make_receiver, worker):
    """After max_attempts failures a delivery is failed, and the next event for the target goes ahead."""
    receiver = make_receiver()
    receiver.fail_next = 5
    make_subscription(url=receiver.url)
    event_emit(event="structure.created", obj=structure)
    event_emit(event="structure.built", obj=structure)
    for _ in range(5):
        worker.run_once(now=later())
    first, second = Delivery.objects.order_by("event_id")
    assert (first.state, first.attempts) == (DeliveryState.FAILED, 5)
    worker.run_once(now=later())
    second.refresh_from_db()
    assert second.state == DeliveryState.DELIVERED


def test_one_shot_subscription_deactivates_after_success(structure, make_subscription, make_receiver, worker):
    """A one-shot subscription gets one event, then is inactive and the rest are dropped."""
    receiver = make_receiver()
    subscription = make_subscription(url=receiver.url, one_shot=True)
    event_emit(event="structure.created", obj=structure)
    event_emit(event="structure.built", obj=structure)
    worker.run_once()
    subscription.refresh_from_db()
    assert not subscription.active
    assert len(receiver.requests) == 1
    assert Delivery.objects.filter(state=DeliveryState.DROPPED).count() == 1
    event_emit(event="structure.destroyed", obj=structure)
    assert Delivery.objects.count() == 2


def test_expired_subscription_stops(structure, make_subscription, make_receiver, worker):
    """Once past expires_at a subscription gets nothing more, even what was already queued."""
    receiver = make_receiver()
    subscription = make_subscription(url=receiver.url, expires_at=later(60))
    event_emit(event="structure.created", obj=structure)
    assert worker.run_once(now=later(120)) == 0
    subscription.expires_at = timezone.now() - timedelta(seconds=1)
    subscription.save()
    event_emit(event="structure.built", obj=structure)
    assert worker.run_once() == 0
    assert receiver.requests == []


def test_backoff_doubles_and_is_capped():
    """Backoff is base, 2 base, 4 base... up to the cap."""
    assert [backoff(n, base=10, cap=60).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]


def test_management_command_once_delivers(structure, make_subscription, make_receiver):
    """`manage.py webhooks --once` delivers what is due and says how many attempts it made."""
    from io import StringIO

    from django.core.management import call_command

    receiver = make_receiver()
    make_subscription(url=receiver.url)
    event_emit(event="structure.built", obj=structure)
    out = StringIO()
    call_command("webhooks", "--once", "--timeout", "1", stdout=out)
    assert "Made 1 delivery attempt(s)" in out.getvalue()
    assert [p["event"] for p in receiver.accepted] == ["structure.built"]


def test_run_loop_delivers_new_events_until_stopped(structure, make_subscription, make_receiver, worker):
    """`run()` picks up events as they are emitted and returns soon after `stop()`."""
    import threading

    receiver = make_receiver()
    make_subscription(url=receiver.url)
    event_emit(event="structure.created", obj=structure)

    def stop_when_delivered():  # the loop itself runs here, in the thread that owns the test's database
        deadline = time.monotonic() + 3
        while not receiver.accepted and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.stop()

    threading.Thread(target=stop_when_delivered, daemon=True).start()
    started = time.monotonic()
    worker.run(poll=0.05)
    assert time.monotonic() - started < 2
    assert [p["event"] for p in receiver.accepted] == ["structure.created"]


def test_api_is_not_slowed_by_a_dead_receiver(admin_client_api, make_subscription, make_receiver):
    """With a subscriber that never answers, a change through the API returns without contacting it: the delivery
    is queued for the sender (no timing asserted: the receiver seeing no request is what shows it)."""
    from tests.factories import FoundationBluePrintFactory, SiteFactory

    receiver = make_receiver()
    receiver.hang = True
    make_subscription(url=receiver.url)
    SiteFactory(name="lab")
    FoundationBluePrintFactory(name="server", foundation_types=["manual"])
    response = admin_client_api.post(
        "/api/v1/foundations/", {"type": "manual", "locator": "n1", "site": "lab", "blueprint": "server"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert receiver.requests == []
    assert Delivery.objects.get().event.kind == "foundation.created"


def test_a_delivery_is_claimed_once(structure, make_subscription):
    """Of two workers that read the same due delivery, only the first claim wins; the claim delays retries."""
    from contractor.webhooks.delivery import claim

    make_subscription()
    event_emit(event="structure.built", obj=structure)
    seen_by_a, seen_by_b = Delivery.objects.get(), Delivery.objects.get()
    assert claim(seen_by_a, lease=30)
    assert not claim(seen_by_b, lease=30)
    assert Delivery.objects.get().next_attempt_at > timezone.now() + timedelta(seconds=25)


def test_each_delivery_attempt_is_logged(structure, make_subscription, make_receiver, worker, caplog):
    """A failed attempt is a WARNING naming the delivery, receiver, status and retry; a delivered one an INFO."""
    import logging

    receiver = make_receiver()
    receiver.fail_next = 1
    make_subscription(url=receiver.url)
    event_emit(event="structure.built", obj=structure)
    delivery = Delivery.objects.get()
    with caplog.at_level(logging.INFO, logger="contractor.webhooks"):
        worker.run_once()
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        worker.run_once()
    records = [r for r in caplog.records if r.name == "contractor.webhooks.delivery"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO]
    first, second = (r.getMessage() for r in records)
    assert first.startswith(
        f"Webhook delivery {delivery.pk} (event {delivery.event_id}) to {receiver.url}, attempt 1: 500"
    )
    assert "retry at" in first
    assert second.endswith("delivered") and "attempt 2: 200" in second


def test_deliveries_about_different_targets_of_one_subscription_are_sent_at_once(make_subscription, worker):
    """Two targets' queue heads are in flight together: the receiver answers only once both requests arrived
    (one at a time per subscription, the first waited past the timeout and was retried)."""
    both = threading.Barrier(2, timeout=5)
    receiver = Receiver()
    receiver.before_answer = both.wait
    try:
        make_subscription(url=receiver.url)
        for hostname in ("web", "db"):
            event_emit(event="structure.built", obj=StructureFactory(hostname=hostname))
        worker.timeout = 10.0
        assert worker.run_once() == 2
        assert sorted(Delivery.objects.values_list("state", "attempts")) == [(DeliveryState.DELIVERED, 1)] * 2
    finally:
        receiver.close()


def test_a_backlog_to_two_receivers_keeps_order_per_target(make_subscription, make_receiver, worker):
    """A backlog of 4 events about each of 3 targets, for two subscriptions with receivers of their own, is all
    delivered, each target's events in the order they happened."""
    receivers = [make_receiver(), make_receiver()]
    for receiver in receivers:
        make_subscription(url=receiver.url)
    targets = [StructureFactory(hostname=f"node{index}") for index in range(3)]
    kinds = ["structure.created", "structure.built", "structure.updated", "structure.destroyed"]
    for kind in kinds:
        for target in targets:
            event_emit(event=kind, obj=target)
    assert worker.run_once() == 24
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED, attempts=1).count() == 24
    for receiver in receivers:
        for target in targets:
            got = [p["event"] for p in receiver.accepted if p["target"]["id"] == str(target.pk)]
            assert got == kinds, (receiver.url, target.hostname)
