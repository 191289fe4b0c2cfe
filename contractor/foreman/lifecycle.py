"""What every job goes through, whoever moves it (the runner stepping it, an operator acting on it): its story in
`steps`, its webhook events, its end, and what a finished create or destroy means for its target."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from contractor.building import services as building
from contractor.building.choices import FoundationState, StructureState
from contractor.building.models import Foundation, Structure
from contractor.events import event_emit
from contractor.foreman.choices import CREATE, DESTROY, JobState
from contractor.foreman.models import Job, JobLog
from contractor.foreman.selectors import target_kind, target_text
from contractor.foreman.statements import FINISH_FIELDS
from contractor.subcontracting.choices import OPEN_TASK_STATES, TaskState

log = logging.getLogger(__name__)

BUILT = StructureState.BUILT  # the same value for foundations, structures and dependencies
DEFAULT_STEPS_KEPT = 200
#: Statuses logged at WARNING; a script's plain message (yielded, then it continues) only at DEBUG.
WARNING_STATUSES = ("error", "aborted")
QUIET_STATUSES = ("yielded",)


def job_event(job: Job, kind: str) -> None:
    """Emit the webhook event `job.<kind>` (started, paused, resumed, errored, done, aborted) in the caller's
    transaction.

    `kind` may be a job state: the `error` state is announced as `job.errored`.
    """
    kind = "errored" if kind == JobState.ERROR else kind
    target = job.target
    site = target.script_structure.site if job.dependency_id else target.site
    data = {"script": job.script_name, "target_kind": target_kind(target), "target": target_text(target),
            "state": job.state, "message": job.message}  # fmt: skip
    event_emit(event=f"job.{kind}", obj=job, site=site, data=data)


def steps_kept() -> int:
    """How many entries a job's `steps` keeps (FOREMAN_JOB_STEPS_KEPT): the newest, after a note of how many went."""
    return max(int(getattr(settings, "FOREMAN_JOB_STEPS_KEPT", DEFAULT_STEPS_KEPT)), 2)


def job_step_record(job: Job, *, status: str, message: str, line: int | None = None, now=None) -> None:
    """Add an entry to the job's story (`job.steps`) in memory; the caller's save of the job row stores it.

    An outcome equal to the last one (the same status, line and message: a wait polled again) counts on that
    entry instead of adding one, and only the newest `steps_kept()` entries stay, so the row stays small.
    """
    at = (now or timezone.now()).isoformat()
    steps = list(job.steps or [])
    last = steps[-1] if steps else None
    if last and (last["status"], last["line"], last["message"]) == (status, line, message):
        last.update(count=last["count"] + 1, last_at=at)
    else:
        steps.append({"at": at, "last_at": at, "count": 1, "line": line, "status": status, "message": message})
        _log_step(job, status, message, line)
    job.steps = _trimmed(steps)


def _trimmed(steps: list[dict]) -> list[dict]:
    kept = steps_kept()
    if len(steps) <= kept:
        return steps
    dropped = steps[0]["count"] if steps[0]["status"] == "trimmed" else 0
    body = steps[1:] if dropped else steps
    cut = len(body) - (kept - 1)
    dropped += cut
    note = {"at": body[0]["at"], "last_at": body[cut - 1]["last_at"], "count": dropped, "line": None,
            "status": "trimmed", "message": f"{dropped} earlier step(s) not kept"}  # fmt: skip
    return [note, *body[cut:]]


def _log_step(job: Job, status: str, message: str, line: int | None) -> None:
    level = logging.INFO
    if status in WARNING_STATUSES:
        level = logging.WARNING
    elif status in QUIET_STATUSES:
        level = logging.DEBUG
    if job.pk is not None and log.isEnabledFor(level):  # a job is logged from its first step on, once it has an id
        kind, target_id = _target_ref(job)
        where = f" at line {line}" if line is not None else ""
        log.log(level, "Job %s (%s of %s %s) %s%s: %s", job.pk, job.script_name, kind, target_id, status, where,
                message)  # fmt: skip


def _target_ref(job: Job) -> tuple[str, int | None]:
    # Ids only: naming the target by locator or hostname could cost a query per step.
    if job.foundation_id:
        return "foundation", job.foundation_id
    return ("structure", job.structure_id) if job.structure_id else ("dependency", job.dependency_id)


def job_line(job: Job) -> int | None:
    """The script line the job's saved interpreter state is at."""
    return (job.runner_state or {}).get("line")


def log_update(job: Job, **fields) -> None:
    """Copy the job's progress into its permanent log entry."""
    JobLog.objects.filter(job_id_ref=job.pk).update(**fields)


def job_tasks_cancel(job: Job) -> None:
    """Cancel the job's tasks no subcontractor has answered yet (their late answers are then stale)."""
    job.tasks.filter(state__in=OPEN_TASK_STATES).update(state=TaskState.CANCELLED, updated=timezone.now())


def job_finish(*, job: Job, state: str, line: int | None = None, open_tasks: bool = True) -> None:
    """End a job (done, aborted): record the end in its steps, cancel open tasks, stamp the time, and close its
    log entry with the whole story (one update). Inside a transaction. `open_tasks=False`: the caller knows the job
    has none (a worker's claim found it waiting on no task), so no update looks for them."""
    log_fields = job_end(job, state=state, line=line)
    job.save(update_fields=FINISH_FIELDS)
    if open_tasks:
        job_tasks_cancel(job)
    log_update(job, **log_fields)


def job_end(job: Job, *, state: str, line: int | None = None, now=None) -> dict:
    """The end of a job in memory (its state, end time and last story entry) and its `job.<state>` event; returns
    the log entry's fields to store, which the caller writes with the job row (job_finish, or a worker's step)."""
    job.state, job.finished_at = state, now or timezone.now()
    job.next_run_at = None
    job_step_record(job, status=state, message=job.message, line=line if line is not None else job_line(job),
                    now=job.finished_at)  # fmt: skip
    job_event(job, state)
    return {"finished_at": job.finished_at, "outcome": state, "message": job.message, "steps": job.steps}


def job_apply_effects(job: Job, *, store=None) -> None:
    """What a finished script means for its target: create -> built, destroy -> planned with its identity cleared.
    `store(target, field_names)`: a foundation set built is stored by the caller (the step's write), not saved here."""
    target = job.target
    if job.script_name == CREATE:
        _set_built(target, store)
    elif job.script_name == DESTROY:
        _set_destroyed(target)


def _set_built(target, store):
    if isinstance(target, Foundation):
        if target.state == FoundationState.PLANNED:
            _locate_and_build(target, store)
        else:
            building.foundation_set_built_within(foundation=target, store=store)
    elif isinstance(target, Structure):
        building.structure_set_built(structure=target)
    else:
        target.state, target.built_at = BUILT, timezone.now()
        target.save(update_fields=["state", "built_at", "updated"])


def _locate_and_build(foundation: Foundation, store) -> None:
    """Locate the machine the create job found, checking the hardware recorded for it (by the script or an
    operator), and set it built: one locked read and one update."""
    try:
        building.foundation_set_built_within(foundation=foundation, locate=True, store=store)
    except ValidationError as error:
        raise ValidationError(
            f"foundation {foundation} could not be located: {'; '.join(error.messages)}. Record its hardware "
            "(POST .../located/ with an id_map, or foundation.id_map in the script), then reset the job."
        ) from error


def _set_destroyed(target):
    if isinstance(target, Foundation):
        building.foundation_set_destroyed(foundation=target)
    elif isinstance(target, Structure):
        building.structure_set_destroyed(structure=target)
    else:
        target.state, target.built_at = StructureState.PLANNED, None
        target.save(update_fields=["state", "built_at", "updated"])
