"""The delivery worker: signs and POSTs due deliveries, one in flight per (subscription, target) queue, and records
each attempt; deliveries about different targets of one subscription are sent at the same time.

The database is only touched from the thread that calls `Worker.run_once()`; the pool threads do nothing
but HTTP, so a slow or dead receiver occupies one pool thread and never a database transaction. A database
error (the server restarted, the connection was cut) interrupts a pass, not the worker: `run()` drops the
broken connection and carries on after a growing pause, and results already received are recorded then.
"""

import dataclasses
import hashlib
import hmac
import json
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

import requests
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from contractor.db import connections_mend
from contractor.webhooks.choices import DeliveryState
from contractor.webhooks.models import Delivery, DeliveryAttempt, Subscription
from contractor.webhooks.selectors import delivery_heads
from contractor.webhooks.services import PRUNE_BATCH, events_prune

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Contractor-Signature"
CLAIM_MARGIN = 60.0  # seconds beyond the request timeout before a claimed delivery may be tried again
DATABASE_PAUSE_CAP = 30.0  # the longest pause after database errors in a row
PRUNE_SECONDS = 3600.0  # how often the worker prunes events past their retention (its first turn does)
PRUNE_BATCHES = 10  # at most this many batches of events a turn, so deliveries are not held up


def sign(body: bytes, secret: str) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of the body keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """Whether `signature` is the right one for `body` (what a receiver checks)."""
    return hmac.compare_digest(sign(body, secret), signature or "")


def event_body(event) -> bytes:
    return json.dumps(event.body(), sort_keys=True, separators=(",", ":")).encode()


@dataclasses.dataclass(frozen=True)
class Request:
    """Everything a pool thread needs to send one delivery: plain values, no model instances."""

    delivery_id: int
    url: str
    body: bytes
    headers: dict


@dataclasses.dataclass(frozen=True)
class Result:
    status_code: int | None
    response_time_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def build_request(delivery: Delivery) -> Request:
    body = event_body(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "contractor-webhooks",
        SIGNATURE_HEADER: sign(body, delivery.subscription.secret),
        "X-Contractor-Event": delivery.event.kind,
        "X-Contractor-Event-Id": str(delivery.event_id),
        "X-Contractor-Delivery": str(delivery.pk),
    }
    return Request(delivery.pk, delivery.subscription.url, body, headers)


def send(request: Request, *, timeout: float) -> Result:
    """POST one delivery; never raises. Connection and read are each bounded by `timeout` seconds."""
    started = time.monotonic()
    try:
        response = requests.post(request.url, data=request.body, headers=request.headers, timeout=timeout)
        status, error = response.status_code, "" if response.ok else f"HTTP {response.status_code}"
        response.close()
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:1000]
    return Result(status, int((time.monotonic() - started) * 1000), error)


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential: base, 2 base, 4 base... after the 1st, 2nd, 3rd failure, never more than `cap`."""
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


@dataclasses.dataclass
class Worker:
    """Delivers webhooks; `run_once()` drains what is due now, `run()` loops until `stop()`."""

    timeout: float = dataclasses.field(default_factory=lambda: getattr(settings, "CONTRACTOR_WEBHOOK_TIMEOUT", 5.0))
    threads: int = dataclasses.field(default_factory=lambda: getattr(settings, "CONTRACTOR_WEBHOOK_THREADS", 8))
    backoff_base: float = dataclasses.field(
        default_factory=lambda: getattr(settings, "CONTRACTOR_WEBHOOK_BACKOFF", 10.0)
    )
    backoff_cap: float = dataclasses.field(
        default_factory=lambda: getattr(settings, "CONTRACTOR_WEBHOOK_BACKOFF_CAP", 3600.0)
    )
    max_attempts: int = dataclasses.field(
        default_factory=lambda: getattr(settings, "CONTRACTOR_WEBHOOK_MAX_ATTEMPTS", 30)
    )
    stopping: bool = False

    def __post_init__(self):
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="webhook")
        self._in_flight: dict[Future, tuple[Request, tuple]] = {}  # future -> (its request, its queue)
        self._database_errors = 0  # in a row
        self._prune_at = 0.0  # monotonic: when the next prune is due

    def stop(self):
        """Finish the deliveries in flight, start no more (safe to call from a signal handler)."""
        self.stopping = True

    def close(self):
        self._pool.shutdown(wait=True)

    def run(self, *, poll: float = 1.0):
        """Deliver until stopped, waking at least every `poll` seconds for new deliveries."""
        try:
            while not self.stopping:
                self.cycle(poll=poll)
        finally:
            self._collect_all()
            self.close()

    def cycle(self, *, poll: float = 1.0) -> None:
        """One turn of the loop; a database error ends it, the broken connection is dropped, and the next turn
        comes after a pause that doubles with each error in a row (`poll` seconds, at most DATABASE_PAUSE_CAP)."""
        try:
            self.prune()
            self._submit_due()
            self._collect(timeout=poll)
            self._database_errors = 0
        except DatabaseError:
            self._database_errors += 1
            pause = min(DATABASE_PAUSE_CAP, poll * 2 ** (self._database_errors - 1))
            log.exception("A database error interrupted webhook delivery; trying again in %.1f s", pause)
            connections_mend()
            self._pause(pause)

    def prune(self) -> int:
        """Every PRUNE_SECONDS, delete the events past their retention that nothing waits for (events_prune), a
        few batches at a time; a turn that found more than that tries again on the next turn. Returns how many."""
        if time.monotonic() < self._prune_at:
            return 0
        pruned = events_prune(batches=PRUNE_BATCHES)
        more = pruned >= PRUNE_BATCHES * PRUNE_BATCH
        self._prune_at = time.monotonic() + (0.0 if more else PRUNE_SECONDS)
        if pruned:
            log.info("Pruned %d webhook event(s) past their retention", pruned)
        return pruned

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def run_once(self, *, now=None) -> int:
        """Deliver everything due at `now`, queue after queue, until nothing due is left. Returns attempts made."""
        attempts, tried = 0, set()
        while True:
            self._submit_due(now=now, skip=tried)
            if not self._in_flight:
                return attempts
            attempts += self._collect(timeout=None)

    def _submit_due(self, *, now=None, skip=None):
        # `skip` holds the deliveries already tried in this pass, so that one pass tries each at most once.
        busy = {queue for _, queue in self._in_flight.values()}
        for delivery in delivery_heads(now=now, exclude_queues=busy):
            queue = (delivery.subscription_id, delivery.target_key)
            if self.stopping or queue in busy or delivery.pk in (skip or ()):
                continue
            if not claim(delivery, lease=self.timeout + CLAIM_MARGIN):
                continue
            busy.add(queue)
            if skip is not None:
                skip.add(delivery.pk)
            request = build_request(delivery)
            self._in_flight[self._pool.submit(send, request, timeout=self.timeout)] = (request, queue)

    def _collect(self, *, timeout) -> int:
        if not self._in_flight:
            if timeout:
                time.sleep(timeout)
            return 0
        done, _ = wait(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            request, _ = self._in_flight[future]
            record_attempt(delivery_id=request.delivery_id, result=future.result(), worker=self)
            del self._in_flight[future]  # only once recorded: after a database error it is recorded next turn
        return len(done)

    def _collect_all(self):
        while self._in_flight:
            self._collect(timeout=None)


def claim(delivery: Delivery, *, lease: float) -> bool:
    """Take the delivery for this worker: push its next attempt past the request's end, if nobody else did first.

    A conditional UPDATE, so two workers never send the same delivery; if this worker dies mid-request, the
    delivery is due again once the lease is over. While claimed it still heads its queue, so order holds.
    """
    taken = Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.PENDING, next_attempt_at=delivery.next_attempt_at
    ).update(next_attempt_at=timezone.now() + timedelta(seconds=lease))
    return taken == 1


@transaction.atomic
def record_attempt(*, delivery_id: int, result: Result, worker: Worker) -> Delivery:
    """Log the attempt and move the delivery on: delivered, retried later with backoff, or failed."""
    delivery = Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery_id)
    DeliveryAttempt.objects.create(
        delivery=delivery, status_code=result.status_code, response_time_ms=result.response_time_ms, error=result.error
    )
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.response_time_ms = result.response_time_ms
    delivery.error = result.error
    if result.ok:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
        _finish_one_shot(delivery.subscription)
    elif delivery.attempts >= worker.max_attempts:
        delivery.state = DeliveryState.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts, base=worker.backoff_base, cap=worker.backoff_cap)
    delivery.save()
    _log_attempt(delivery, result)
    return delivery


def _log_attempt(delivery: Delivery, result: Result) -> None:
    """One line per attempt: INFO when delivered, WARNING when it will be retried or has failed for good."""
    level = logging.INFO if result.ok else logging.WARNING
    outcome = {DeliveryState.DELIVERED: "delivered", DeliveryState.FAILED: "failed for good"}.get(
        delivery.state, f"retry at {delivery.next_attempt_at:%Y-%m-%dT%H:%M:%S%z}"
    )
    log.log(level, "Webhook delivery %s (event %s) to %s, attempt %s: %s in %s ms, %s", delivery.pk,
            delivery.event_id, delivery.subscription.url, delivery.attempts, result.status_code or result.error,
            result.response_time_ms, outcome)  # fmt: skip


def _finish_one_shot(subscription: Subscription):
    if not subscription.one_shot:
        return
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    subscription.deliveries.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.DROPPED, error="one-shot subscription already delivered"
    )
