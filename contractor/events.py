"""Domain events (`foundation.located`, `structure.built`...): any app emits them, the webhooks app records them.

Emitting is a call through a hook that the webhooks app registers its recorder into, so an app below webhooks
(building) emits without importing it; the event is stored in the caller's transaction, with the change.
"""

from contractor.hooks import Hook

event_recorder = Hook("event recorder")


def event_emit(*, event: str, obj=None, data: dict | None = None, site=None) -> None:
    """Record `event` about `obj` (its site, or `site`), with `data`, in the current transaction."""
    event_recorder.call(event=event, obj=obj, data=data, site=site)
