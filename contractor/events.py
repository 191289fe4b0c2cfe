"""Domain events (`foundation.located`, `structure.built`...): any app emits them, the webhooks app records them.

Emitting is a call through a hook that the webhooks app registers its recorder into, so an app below webhooks
(building) emits without importing it; the event is stored in the caller's transaction, with the change. Inside
`events_together()` events are held and recorded together when the block ends, in one insert; inside `events_held()`
(a foreman step) they are handed to the caller, which stores them with the rest of its write.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from contractor.hooks import Hook

#: recorder(*, events: list[dict]) stores each {"event", "obj", "data", "site"} in the current transaction.
event_recorder = Hook("event recorder")
_held: ContextVar[list[dict] | None] = ContextVar("events_held", default=None)


def event_emit(*, event: str, obj=None, data: dict | None = None, site=None) -> None:
    """Record `event` about `obj` (its site, or `site`), with `data`, in the current transaction (or, inside
    `events_together()`, when that block ends)."""
    emitted = {"event": event, "obj": obj, "data": data, "site": site}
    held = _held.get()
    if held is not None:
        held.append(emitted)
        return
    event_recorder.call(events=[emitted])


@contextmanager
def events_held() -> Iterator[list[dict]]:
    """Hold the events emitted inside in the list this yields, recording none of them: the caller stores them with
    its own write (a foreman step folds them into its one statement) or drops them."""
    held: list[dict] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def events_record(events: list[dict]) -> None:
    """Record events held by `events_held()` (each the keywords of `event_emit`) in the current transaction."""
    if events:
        event_recorder.call(events=events)


@contextmanager
def events_together() -> Iterator[None]:
    """Hold the events emitted inside and record them together (one insert) when the block ends without an error.

    A block that raises drops its events, as the savepoint or transaction around it drops its changes; a block
    inside another hands its events to the outer one.
    """
    outer = _held.get()
    with events_held() as held:
        yield
    if outer is not None:
        outer.extend(held)
    else:
        events_record(held)
