"""Writes for jobs: create (with the rules operators rely on), operator actions, signals and finishing."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contractor.auditing import operator_action
from contractor.building import services as building
from contractor.building.choices import FoundationState, StructureState
from contractor.building.hosting import hosted_foundations, hosting_of
from contractor.building.models import Complex, Dependency, Foundation, Structure
from contractor.foreman.choices import ACTIVE_STATES, OPEN_TASK_STATES, JobState, TaskState
from contractor.foreman.models import Job, JobLog
from tscript import NotAllowedError, Runner, TScriptError

log = logging.getLogger(__name__)

CREATE, DESTROY = "create", "destroy"
BUILT = StructureState.BUILT  # the same value for foundations, structures and dependencies
#: What ending a job (or its last step) changes on the job row; never the script source.
FINISH_FIELDS = ["state", "message", "runner_state", "step_count", "last_step_at", "next_run_at", "started_at",
                 "signalled_at", "finished_at", "steps", "updated"]  # fmt: skip


def target_kind(target) -> str:
    """foundation, structure or dependency."""
    if isinstance(target, Foundation):
        return "foundation"
    return "structure" if isinstance(target, Structure) else "dependency"


def _describe(target) -> str:
    return f"{target_kind(target)} {target if not isinstance(target, Dependency) else target.pk}"


def _rule(rule: str, text: str, field: str = "script"):
    return ValidationError({field: f"Rule '{rule}': {text}"})


def _script_source(target, script_name: str) -> str:
    if isinstance(target, Dependency):
        name = {CREATE: target.create_script_name, DESTROY: target.destroy_script_name}.get(script_name)
        if name is None:
            raise _rule("dependency scripts", f"a dependency runs only create or destroy, not '{script_name}'.")
        if not name:
            return "pass\n"
        target, script_name = target.script_structure, name
    script = target.blueprint.get_script(script_name)
    if script is None:
        where = f"blueprint {target.blueprint} of {_describe(target)}"
        names = target.blueprint.script_names()
        has = f" (it has {', '.join(names)})" if names else " (it has none)"
        raise _rule("script exists", f"{where} has no script '{script_name}'{has}.")
    return script.script


def _check_built_state(target, script_name: str):
    built = target.state == BUILT
    if script_name == CREATE and built:
        raise _rule("create only what is not built", f"{_describe(target)} is already built.")
    if script_name != CREATE and not built:
        raise _rule(f"{script_name} only what is built", f"{_describe(target)} is {target.state}.")


def _check_no_active_job(target):
    active = Job.objects.filter(**{target_kind(target): target}, state__in=ACTIVE_STATES).first()
    if active is not None:
        running = f"job {active.pk} ({active.script_name}, {active.state})"
        raise _rule("one job per target", f"{_describe(target)} already has {running}.")


def _active_job(script_name: str, **target) -> Job | None:
    return Job.objects.filter(script_name=script_name, state__in=ACTIVE_STATES, **target).first()


def _check_compatible(target, script_name: str):
    """The jobs below or above the target must allow this one to wait for them (see job_blocker)."""
    if isinstance(target, Structure) and script_name == CREATE:
        foundation = target.foundation
        if foundation.state != FoundationState.BUILT and _active_job(CREATE, foundation=foundation) is None:
            raise _rule(
                "a structure is created on a built foundation",
                f"foundation {foundation} of structure {target} is {foundation.state} and has no create job.",
            )
    if isinstance(target, Foundation) and script_name == DESTROY:
        structure = Structure.objects.filter(foundation=target).first()
        if structure is not None and structure.state == BUILT and _active_job(DESTROY, structure=structure) is None:
            raise _rule(
                "destroy goes top down",
                f"structure {structure} on foundation {target} is built and has no destroy job; destroy it first.",
            )
    _check_hosting_compatible(target, script_name)


def _check_hosting_compatible(target, script_name: str):
    """A hosted foundation (a VM) is created on a complex that is built or being built; its host is destroyed
    only when each foundation placed there (built, being built, or planned but still placed) is leaving it."""
    if isinstance(target, Foundation) and script_name == CREATE:
        complex_ = _hosting_complex(target)
        if complex_ is not None and complex_.state != BUILT and not _member_creating(complex_):
            raise _rule(
                "a hosted foundation is created on a built complex",
                f"complex {complex_} of foundation {target} is {complex_.state} and no member has a create job.",
            )
    if isinstance(target, Structure) and script_name == DESTROY:
        for hosted in _guests(target):
            if _active_job(DESTROY, foundation_id=hosted.foundation_id) is not None:
                continue
            if hosted.state == BUILT:
                raise _rule(
                    "destroy goes top down",
                    f"foundation {hosted.locator} on structure {target} is built and has no destroy job; "
                    "destroy it first.",
                )
            if _active_job(CREATE, foundation_id=hosted.foundation_id) is None:
                raise _rule(
                    "destroy goes top down",
                    f"foundation {hosted.locator} is {hosted.state} but still placed on structure {target} (a create "
                    "that did not finish may have left it there); create it again and destroy it first.",
                )


def _hosting_complex(foundation: Foundation) -> Complex | None:
    hosted = hosting_of(foundation)
    return Complex.objects.get(pk=hosted.complex_id) if hosted is not None else None


def _member_creating(complex_: Complex) -> bool:
    return Job.objects.filter(structure__complex_memberships__complex=complex_, script_name=CREATE,
                              state__in=ACTIVE_STATES).exists()  # fmt: skip


def _guests(structure: Structure) -> list:
    """The hosted foundations placed on a structure, whatever their state: one being built is there already, and
    a planned one still placed may have its VM there (its create stopped half way)."""
    return hosted_foundations(host_ids=[structure.pk])


def _guest_state(hosted) -> str:
    if hosted.state == BUILT:
        return "built"
    return "being built" if _active_job(CREATE, foundation_id=hosted.foundation_id) else f"{hosted.state}, still placed"


def _dependency_built(dependency: Dependency) -> bool:
    if dependency.state == BUILT:
        return True
    source = dependency.source
    return source is not None and source.state == BUILT and not dependency.create_script_name


def job_blocker(job: Job) -> str | None:
    """What a job that has not started yet waits for, or None when it may run."""
    target, script_name = job.target, job.script_name
    if isinstance(target, Structure) and script_name == CREATE and target.foundation.state != FoundationState.BUILT:
        return f"Waiting for foundation {target.foundation} to be built"
    if isinstance(target, Foundation) and script_name == CREATE:
        complex_ = _hosting_complex(target)
        if complex_ is not None and complex_.state != BUILT:
            return f"Waiting for complex {complex_} to be built"
        dependency = Dependency.objects.filter(foundation=target).first()
        if dependency is not None and not _dependency_built(dependency):
            return f"Waiting for dependency {dependency.pk} ({dependency.source}) to be built"
    if isinstance(target, Foundation) and script_name == DESTROY:
        structure = Structure.objects.filter(foundation=target, state=BUILT).first()
        if structure is not None:
            return f"Waiting for structure {structure} to be destroyed"
    if isinstance(target, Structure) and script_name == DESTROY:
        guests = _guests(target)
        if guests:
            return f"Waiting for foundation {guests[0].locator} ({_guest_state(guests[0])}) to be destroyed"
    if isinstance(target, Dependency) and script_name == CREATE and target.source.state != BUILT:
        return f"Waiting for {target.source} to be built"
    return None


def _lock(target):
    return type(target).objects.select_for_update().get(pk=target.pk)


def job_event(job: Job, kind: str) -> None:
    """Emit the webhook event `job.<kind>` (started, paused, resumed, errored, done, aborted) in the caller's
    transaction.

    `kind` may be a job state: the `error` state is announced as `job.errored`.
    """
    from contractor.webhooks.services import event_emit

    kind = "errored" if kind == JobState.ERROR else kind
    target = job.target
    site = target.script_structure.site if job.dependency_id else target.site
    data = {"script": job.script_name, "target_kind": target_kind(target), "target": _target_text(target),
            "state": job.state, "message": job.message}  # fmt: skip
    event_emit(event=f"job.{kind}", obj=job, site=site, data=data)


DEFAULT_STEPS_KEPT = 200
#: Statuses logged at WARNING; a script's plain message (yielded, then it continues) only at DEBUG.
WARNING_STATUSES = ("error", "aborted")
QUIET_STATUSES = ("yielded",)


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


def _line(job: Job) -> int | None:
    return (job.runner_state or {}).get("line")


def log_update(job: Job, **fields) -> None:
    """Copy the job's progress into its permanent log entry."""
    JobLog.objects.filter(job_id_ref=job.pk).update(**fields)


@transaction.atomic
def job_create(*, target, script_name: str, user=None) -> Job:
    """A job running `script_name` (create, destroy or a utility script) on a foundation, structure or dependency."""
    target = _lock(target)
    if isinstance(target, Foundation):
        target = target.subclass
    # The script must exist before the rules about the target's state can say anything useful about it.
    source = _script_source(target, script_name)
    _check_built_state(target, script_name)
    _check_no_active_job(target)
    _check_compatible(target, script_name)
    try:
        Runner(source)
    except TScriptError as error:
        raise _rule("the script parses", f"script '{script_name}' of {_describe(target)}: {error}") from None
    job = Job(**{target_kind(target): target}, script_name=script_name, source=source, created_by=user)
    job.state = JobState.QUEUED
    blocker = job_blocker(job)
    who = f" by {user}" if user else ""
    job_step_record(job, status="created", message=f"Created{who}")
    if blocker:
        job.state, job.message = JobState.WAITING, blocker
        job_step_record(job, status=JobState.WAITING, message=blocker)
    job.full_clean()
    job.save()
    JobLog.objects.create(
        job_id_ref=job.pk, target_kind=target_kind(target), target=_target_text(target), script_name=script_name,
        created_by=user, message=f"Created{who}",
    )  # fmt: skip
    return job


def _target_text(target) -> str:
    if isinstance(target, Foundation):
        return target.locator
    return target.hostname if isinstance(target, Structure) else str(target.pk)


def _locked_job(job: Job, *allowed: str, action: str) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state not in allowed:
        raise ValidationError(
            {"state": f"Job {job.pk} is {_state_phrase(job.state)}; only {_jobs_in(allowed)} can be {action}."}
        )
    return job


def _state_phrase(state: str) -> str:
    return "in error" if state == JobState.ERROR else state


def _jobs_in(states) -> str:
    """'a waiting, queued or running job', 'a job in error', 'a paused job, or one in error'..."""
    plain = [str(state) for state in states if state != JobState.ERROR]
    listed = ", ".join(plain[:-1]) + f" or {plain[-1]}" if len(plain) > 1 else "".join(plain)
    if JobState.ERROR not in states:
        return f"a {listed} job"
    return f"a {listed} job, or one in error," if plain else "a job in error"


def _cancel_open_tasks(job: Job) -> None:
    job.tasks.filter(state__in=OPEN_TASK_STATES).update(state=TaskState.CANCELLED, updated=timezone.now())


def _runner_action(job: Job, act) -> None:
    """Restore the job's runner, apply `act(runner)` and store the state back."""
    if not job.runner_state:
        return
    from contractor.foreman.runner import runner_for

    runner = runner_for(job)
    try:
        act(runner)
    except NotAllowedError as error:
        raise ValidationError({"state": f"Job {job.pk}: {error}."}) from None
    job.runner_state = runner.state()


def _requeue(job: Job, message: str, status: str) -> Job:
    job.state, job.message, job.next_run_at = JobState.QUEUED, message, None
    job_step_record(job, status=status, message=message, line=_line(job))
    job.save()
    return job


@transaction.atomic
@operator_action("pause")
def job_pause(*, job: Job, user=None) -> Job:
    """Stop stepping a waiting, queued or running job until it is resumed."""
    job = _locked_job(job, JobState.WAITING, JobState.QUEUED, JobState.RUNNING, action="paused")
    job.state, job.message = JobState.PAUSED, f"Paused by {user or 'an operator'}"
    job_step_record(job, status=JobState.PAUSED, message=job.message, line=_line(job))
    job.save()
    job_event(job, "paused")
    return job


@transaction.atomic
@operator_action("resume")
def job_resume(*, job: Job) -> Job:
    """Continue a paused job (a script's pause() call returns none)."""
    job = _locked_job(job, JobState.PAUSED, action="resumed")

    def resume(runner):
        if runner.status == "paused":
            runner.resume()

    _runner_action(job, resume)
    job = _requeue(job, "Resumed", "resumed")
    job_event(job, "resumed")
    return job


@transaction.atomic
@operator_action("reset")
def job_reset(*, job: Job) -> Job:
    """Retry after an error: error() returns none, a failed remote task is sent again under a new cookie."""
    job = _locked_job(job, JobState.ERROR, action="reset")

    def reset(runner):
        if runner.status == "error":
            runner.reset()

    _runner_action(job, reset)
    _cancel_open_tasks(job)
    return _requeue(job, "Reset", "reset")


@transaction.atomic
@operator_action("rollback")
def job_rollback(*, job: Job) -> Job:
    """After a failed remote call whose function allows it: send its rollback task, then the task again."""
    job = _locked_job(job, JobState.ERROR, action="rolled back")
    if not job.runner_state:
        raise ValidationError({"state": f"Job {job.pk} has no failed remote call to roll back."})
    _runner_action(job, lambda runner: runner.rollback())
    _cancel_open_tasks(job)
    return _requeue(job, "Rolling back", "rollback")


@transaction.atomic
@operator_action("cancel")
def job_cancel(*, job: Job, user=None) -> Job:
    """Abort a job that has not finished; its open tasks are cancelled and its log kept."""
    job = _locked_job(job, *ACTIVE_STATES, action="cancelled")
    job.message = f"Cancelled by {user or 'an operator'}"
    job_finish(job=job, state=JobState.ABORTED)
    return job


@transaction.atomic
def job_signal(*, job: Job) -> Job:
    """The booted machine reported in: signaling.wait() returns at the job's next step, which is due now."""
    job = _locked_job(job, JobState.QUEUED, JobState.RUNNING, JobState.PAUSED, action="signalled")
    job.signalled_at, job.next_run_at = timezone.now(), None
    job.save(update_fields=["signalled_at", "next_run_at", "updated"])
    return job


def job_finish(*, job: Job, state: str, line: int | None = None) -> None:
    """End a job (done, aborted): record the end in its steps, cancel open tasks, stamp the time, and close its
    log entry with the whole story (one update). Inside a transaction."""
    job.state, job.finished_at = state, timezone.now()
    job.next_run_at = None
    job_step_record(job, status=state, message=job.message, line=line if line is not None else _line(job),
                    now=job.finished_at)  # fmt: skip
    job.save(update_fields=FINISH_FIELDS)
    _cancel_open_tasks(job)
    log_update(job, finished_at=job.finished_at, outcome=state, message=job.message, steps=job.steps)
    job_event(job, state)


@transaction.atomic
def job_delete(*, job: Job) -> None:
    """Delete a job that has ended (its log entry keeps its story); a job still active must be cancelled first."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state in ACTIVE_STATES:
        raise ValidationError({"state": f"Job {job.pk} is {job.state}; cancel it before deleting it."})
    job.delete()


def job_apply_effects(job: Job) -> None:
    """What a finished script means for its target: create -> built, destroy -> planned with its identity cleared."""
    target = job.target
    if job.script_name == CREATE:
        _set_built(target)
    elif job.script_name == DESTROY:
        _set_destroyed(target)


def _set_built(target):
    if isinstance(target, Foundation):
        if target.state == FoundationState.PLANNED:
            _locate(target)
        building.foundation_set_built(foundation=target)
    elif isinstance(target, Structure):
        building.structure_set_built(structure=target)
    else:
        target.state, target.built_at = BUILT, timezone.now()
        target.save(update_fields=["state", "built_at", "updated"])


def _locate(foundation: Foundation) -> None:
    """Locate the machine the create job found, checking the hardware recorded for it (by the script or an operator)."""
    try:
        building.foundation_locate(foundation=foundation)
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
