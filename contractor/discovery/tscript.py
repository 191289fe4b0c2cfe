"""`foundation.discover()`: a create job powers its machine on into the discovery image and waits for its report.

Offered to every foundation type whose machines PXE-boot (its functions include `set_boot` and `power_on`: libvirt,
IPMI, Redfish, manual). The call opens a DiscoveryRequest, so the foundation's MACs boot the discovery image ahead of
any build script, then runs the type's own `power_on` (a subcontractor task, or a person for a manual machine) and
waits. The machine's report is matched to the foundation and checked against the blueprint's fingerprint
(services._locate): met, the foundation is located, the machine is told to reboot (into its build: the request is
closed, so its next boot script is the structure's) and the call returns the facts; missed, the job stops in a
resumable error naming each unmet requirement, and a reset waits for the next report.
"""

from django.conf import settings

from contractor.discovery import services
from contractor.discovery.choices import RequestState
from contractor.discovery.models import DiscoveredMachine, DiscoveryRequest
from tscript import Local, Remote, ScriptError, Step, Steps

POLL_SECONDS = 2


def _waiting(context, foundation) -> Steps:
    """The Steps after the power-on: poll the request until the machine's report closes it."""

    def step(state):
        request = DiscoveryRequest.objects.filter(foundation=foundation).first()
        if request is None or request.state == RequestState.OPEN:
            if request is None:  # removed by hand meanwhile: ask again
                _open(context, foundation)
            context.sleep(getattr(settings, "FOREMAN_DISCOVERY_POLL_SECONDS", POLL_SECONDS))
            return Step.more(f"Waiting for {foundation.locator} to report its hardware", state)
        if request.state == RequestState.REFUSED:
            _open(context, foundation)  # a reset of the job waits for the machine's next report
            raise ScriptError(request.message)
        services.discovery_request_close(request=request)
        machine = DiscoveredMachine.objects.filter(foundation=foundation).order_by("-last_report_at").first()
        return Step.finish(machine.facts if machine is not None else {})

    return Steps(start=lambda result=None: {}, step=step)


def _open(context, foundation) -> None:
    job = getattr(context, "job", None)
    services.discovery_request_open(foundation=foundation, job_id=getattr(job, "pk", None))


def _after_power_on(context, foundation, power_on: Steps, waiting: Steps) -> Steps:
    """A power-on that is itself local steps (a person asked to press the button), then the wait."""

    def start():
        _open(context, foundation)
        return {"powered": False, "inner": power_on.start()}

    def step(state):
        if not state["powered"]:
            done = power_on.step(state["inner"])
            if not done.done:
                return Step.more(done.message, {**state, "inner": done.state})
            state = {"powered": True, "inner": None}
        return waiting.step(state)

    return Steps(start=start, step=step)


def discovery_functions(context, foundation, functions: dict) -> dict:
    """`discover()` for a foundation whose type's `functions` can PXE-boot it (`set_boot` and `power_on`)."""
    power_on = functions.get("power_on")
    if power_on is None or "set_boot" not in functions or "discover" in functions:
        return {}
    waiting = _waiting(context, foundation)
    if isinstance(power_on, Remote):

        def task():
            _open(context, foundation)
            return power_on.task() if power_on.task else {}

        return {"discover": Remote(task=task, function=power_on.function or "power_on", result=power_on.result,
                                   then=waiting)}  # fmt: skip
    if isinstance(power_on, Steps):
        return {"discover": _after_power_on(context, foundation, power_on, waiting)}
    fn = power_on.fn if isinstance(power_on, Local) else power_on

    def start():
        _open(context, foundation)
        fn()
        return {}

    return {"discover": Steps(start=start, step=waiting.step)}
