"""The `webhook` module: `webhook.wait_for_ack(...)` posts an event and waits until a receiver acknowledges it."""

import re
from datetime import timedelta

from django.conf import settings

from contractor.webhooks.choices import AckState
from contractor.webhooks.models import AckRequest, Delivery, ack_token_hash
from contractor.webhooks.services import ack_request_create, ack_request_expire
from tscript import Module, ParameterError, ScriptError, Step, Steps

POLL_SECONDS = 5
EVENT_KIND = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


def _poll_seconds() -> float:
    return getattr(settings, "FOREMAN_ACK_POLL_SECONDS", POLL_SECONDS)


def _start(event=None, data=None, timeout=None) -> dict:
    """Check the arguments; the handler state holds no request yet (the first step makes it)."""
    if not isinstance(event, str) or not EVENT_KIND.match(event):
        raise ParameterError(
            "event: an event kind of letters, digits, '.', '_' and '-' (at most 50), such as disk.replace"
        )
    if data is not None and not isinstance(data, dict):
        raise ParameterError("data: a map")
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ParameterError("timeout: a positive number of seconds (or a duration), or none to wait forever")
    return {"event": event, "data": data or {}, "timeout": timeout, "ack": None}


def _target(context):
    """What the event is about: the job's foundation for a foundation job, else its structure."""
    if context.job.foundation_id:
        return context.foundation
    return context.structure or context.foundation


def _ask(context, state: dict) -> dict:
    """Emit the event with a new AckRequest; the new handler state names it (by id: its token is stored nowhere),
    its deadline and receivers."""
    data = {**state["data"], "job": context.job.pk}
    ack = ack_request_create(
        event=state["event"], obj=_target(context), data=data, ack_url_base=settings.CONTRACTOR_HOST
    )
    names = list(Delivery.objects.filter(event_id=ack.event_id).values_list("subscription__name", flat=True))
    deadline = context.clock() + state["timeout"] if state["timeout"] else None
    return {**state, "ack": ack.pk, "deadline": deadline, "receivers": names}


def _who(state: dict) -> str:
    names = state.get("receivers") or []
    return ", ".join(names) if names else "a receiver (no subscription matches)"


def _wait(context, state: dict) -> Step:
    seconds = _poll_seconds()
    if state["deadline"] is not None:
        seconds = max(min(seconds, state["deadline"] - context.clock()), 0)
    context.sleep(seconds)
    return Step.more(f"Waiting for {_who(state)} to acknowledge {state['event']}", state)


def _request(state: dict):
    """The state's AckRequest: by id, or (a job that asked before tokens were hashed) by its token's hash."""
    requests = AckRequest.objects.only("state", "ack_data")
    if state.get("ack"):
        return requests.filter(pk=state["ack"]).first()
    return requests.filter(token_hash=ack_token_hash(state["token"])).first()


def _step(context, state: dict) -> Step:
    if not (state.get("ack") or state.get("token")):
        return _wait(context, _ask(context, state))
    ack = _request(state)
    if ack is not None and ack.state == AckState.ACKED:
        return Step.finish(ack.ack_data or True)
    if ack is not None and (state["deadline"] is None or context.clock() < state["deadline"]):
        return _wait(context, state)
    who, event = _who(state), state["event"]
    # The handler state is only saved by Step.more; clearing the request in place makes `reset` ask anew.
    state["ack"] = state["token"] = None
    if ack is None:
        raise ScriptError(f"The acknowledgement request for {event} is gone; reset the job to ask again")
    ack_request_expire(ack_id=ack.pk)  # in the step's transaction: a late answer is refused from now on
    raise ScriptError(
        f"No acknowledgement of {event} from {who} within {state['timeout']:g} seconds; reset the job to ask again"
    )


def webhook_module(context) -> Module:
    """`webhook.wait_for_ack( event=, data=, timeout= )`: returns what the receiver posted (its data, or true)."""
    module = Module("webhook")
    module.add_function("wait_for_ack", Steps(start=_start, step=lambda state: _step(context, state)))
    return module
