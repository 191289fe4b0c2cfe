"""The bridge between Django and tscript: one job step in one transaction, on a row no other worker holds."""

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from contractor.foreman import lifecycle, selectors
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.foreman.modules import JobContext, modules_for
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from tscript import MAX_STATE_BYTES, NotAllowedError, Runner, StaleCookieError, StateTooLargeError

DEFAULT_STEP_BUDGET = 100_000
#: What a step changes on the job row (never the source).
STEP_FIELDS = ["state", "message", "runner_state", "step_count", "last_step_at", "next_run_at", "started_at",
               "signalled_at", "steps", "updated"]  # fmt: skip
WAITING_POLL_SECONDS = 5


def clock() -> float:
    """The scripts' clock (seconds); tests replace it to pass delays without sleeping."""
    return time.time()


def step_budget() -> int:
    """Instructions one step may execute before the job goes to error (a runaway loop)."""
    return getattr(settings, "FOREMAN_STEP_BUDGET", DEFAULT_STEP_BUDGET)


def state_limit() -> int:
    """The most JSON a job's saved script state may hold (bytes); a step that would save more errors the job."""
    return getattr(settings, "FOREMAN_STATE_MAX_BYTES", MAX_STATE_BYTES)


def _scripts_clock() -> float:
    return clock()  # looked up at each call, so that a test replacing `clock` moves every runner's time


def job_context(job: Job) -> JobContext:
    """What the job's module functions know of it, with the scripts' clock."""
    return JobContext(job, clock=_scripts_clock)


def runner_for(job: Job, context: JobContext | None = None) -> Runner:
    """The job's runner, fresh or restored from its saved state, with the job's modules."""
    modules = modules_for(context or job_context(job))
    if not job.runner_state:
        return Runner(job.source, modules, clock=_scripts_clock, max_state_bytes=state_limit())
    return Runner.from_state(job.source, job.runner_state, modules, clock=_scripts_clock, max_state_bytes=state_limit())


#: What a claim loads with the job (one query): a foundation target and its site, for dispatch and events. Joining
#: the structure and dependency too made PostgreSQL plan longer than loading those (rarer) targets afterwards.
CLAIM_RELATED = ("foundation__site",)


class StepFailed(Exception):
    """Stepping a claimed job raised; its transaction rolled back. `job_id` names the job."""

    def __init__(self, job_id: int):
        super().__init__(f"Stepping job {job_id} failed")
        self.job_id = job_id


def job_step(*, job_id: int) -> bool:
    """Step the job if it is still runnable and no other worker holds it; True if it was stepped."""
    try:
        with transaction.atomic():
            job = selectors.job_runnable().filter(pk=job_id).select_related(*CLAIM_RELATED)
            job = job.select_for_update(skip_locked=True, of=("self",)).first()
            if job is None:
                return False
            _step(job)
    except StateTooLargeError as error:
        _state_refused(job_id, error)
    return True


def job_step_next(*, job_ids: list[int]) -> int | None:
    """Step, in its own transaction, the least recently stepped of `job_ids` still runnable and not held by another
    worker; returns its id, or None when none is left. One query claims and loads it, so workers sharing a list of
    candidates never spend a query on a job another one holds or has just stepped. Raises StepFailed (from the
    error) when the step raised; the transaction rolled back.
    """
    claimed = None
    try:
        with transaction.atomic():
            candidates = selectors.job_runnable().filter(pk__in=job_ids).select_related(*CLAIM_RELATED)
            order = (F("last_step_at").asc(nulls_first=True), "pk")
            claimed = candidates.order_by(*order).select_for_update(skip_locked=True, of=("self",)).first()
            if claimed is None:
                return None
            _step(claimed)
    except StateTooLargeError as error:
        _state_refused(claimed.pk, error)
    except Exception as error:
        if claimed is None:
            raise
        raise StepFailed(claimed.pk) from error
    return claimed.pk


def _state_refused(job_id: int, error: StateTooLargeError) -> None:
    """The step would have saved a state over the limit and was rolled back whole (its answers stay unapplied, the
    saved state is the one before it); the job goes to error saying so, rather than failing again every pass."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return
        now = timezone.now()
        job.state, job.message, job.last_step_at = JobState.ERROR, str(error), now
        lifecycle.job_step_record(job, status=JobState.ERROR, message=job.message, now=now)
        job.save(update_fields=STEP_FIELDS)
        lifecycle.job_event(job, JobState.ERROR)


def _step(job: Job) -> None:
    now = timezone.now()
    if job.started_at is None and _still_waiting(job, now):
        return
    context = job_context(job)
    runner = runner_for(job, context)
    _apply_answers(job, runner)
    outcome = runner.run(max_steps=step_budget())
    _record(job, runner, outcome, context, now)


def _still_waiting(job: Job, now) -> bool:
    blocker = selectors.job_blocker(job)
    if not blocker:
        if job.state == JobState.WAITING:
            job.state, job.message = JobState.QUEUED, ""
        return False
    job.state, job.message, job.last_step_at = JobState.WAITING, blocker, now
    job.next_run_at = now + timedelta(seconds=WAITING_POLL_SECONDS)
    lifecycle.job_step_record(job, status=JobState.WAITING, message=blocker, now=now)
    job.save()
    return True


def _apply_answers(job: Job, runner: Runner) -> None:
    """Feed the runner the result or error of each finished task, exactly once (the task becomes applied)."""
    if not job.runner_state:
        return  # never stepped, so it never dispatched a task
    tasks = list(job.tasks.select_for_update().filter(state__in=(TaskState.DONE, TaskState.FAILED)).order_by("pk"))
    now = timezone.now()
    for task in tasks:
        try:
            if task.state == TaskState.DONE:
                runner.provide_result(task.cookie, task.result)
            else:
                failure = f"Task {task.module}.{task.function} ({task.pk}) failed: {task.error}"
                runner.provide_error(task.cookie, failure)
            task.state = TaskState.APPLIED
        except (StaleCookieError, NotAllowedError):
            task.state = TaskState.CANCELLED
        task.updated = now
    if len(tasks) == 1:
        tasks[0].save(update_fields=["state", "updated"])
    elif tasks:
        Task.objects.bulk_update(tasks, ["state", "updated"])


def _record(job: Job, runner: Runner, outcome, context: JobContext, now) -> None:
    before = job.state
    _record_state(job, runner, outcome, context, now)
    if job.state != before and job.state in (JobState.PAUSED, JobState.ERROR):
        lifecycle.job_event(job, job.state)


def _record_state(job: Job, runner: Runner, outcome, context: JobContext, now) -> None:
    job.runner_state = runner.state()
    job.message = context.pause_message or outcome.message
    job.step_count += 1
    job.last_step_at, job.next_run_at = now, context.sleep_until
    if job.started_at is None:
        job.started_at = now
        lifecycle.log_update(job, started_at=now)
        lifecycle.job_event(job, "started")
        lifecycle.job_step_record(job, status="started", message="Started", line=None, now=now)
    if outcome.status in ("aborted", "done"):
        # The script's last words are a step of their own; the end is recorded by job_finish.
        if outcome.status == "aborted":
            lifecycle.job_finish(job=job, state=JobState.ABORTED, line=outcome.line)
        else:
            _finish_done(job, outcome, now)
        return
    status = JobState.PAUSED if context.pause_message else outcome.status
    lifecycle.job_step_record(job, status=status, message=job.message, line=outcome.line, now=now)
    if context.pause_message:
        job.state = JobState.PAUSED
    elif outcome.status in ("paused", "error"):
        job.state = outcome.status
    else:
        job.state = JobState.RUNNING
        _waiting(job, runner, outcome)
    job.save(update_fields=STEP_FIELDS)


def _waiting(job: Job, runner: Runner, outcome) -> None:
    if outcome.status != "waiting":
        return
    if outcome.task:
        _dispatch(job, outcome.task)
    elif runner.delay_until is not None:
        job.next_run_at = datetime.fromtimestamp(runner.delay_until, UTC)


def _dispatch(job: Job, task: dict) -> None:
    """A Task row for the subcontractors of the target's site (once per cookie).

    A script function may name its subcontractor task `<module>.<function>` (`foundation.power_on` of an
    IPMI foundation sends `ipmi.power_on`); otherwise the task goes to the script module's namesake.
    """
    module, _, function = task["function"].rpartition(".")
    row = Task(job=job, site_id=_site_id(job), cookie=task["cookie"], module=module or task["module"],
               function=function, parameters=task["parameters"])  # fmt: skip
    if connection.vendor == "postgresql":
        # ON CONFLICT DO NOTHING: only the unique cookie can conflict, so a second dispatch is a no-op in one query.
        Task.objects.bulk_create([row], ignore_conflicts=True)
    elif not Task.objects.filter(cookie=row.cookie).exists():  # SQLite's OR IGNORE would hide other violations too
        row.save()


def _site_id(job: Job) -> int:
    target = job.target
    return target.script_structure.site_id if job.dependency_id else target.site_id


def _finish_done(job: Job, outcome, now) -> None:
    try:
        with transaction.atomic():
            lifecycle.job_apply_effects(job)
    except ValidationError as error:
        reason = "; ".join(error.messages)
        job.state, job.message = JobState.ERROR, f"The script finished but its target could not be updated: {reason}"
        lifecycle.job_step_record(job, status=JobState.ERROR, message=job.message, line=outcome.line, now=now)
        job.save()
        return
    job.message = "Done"
    lifecycle.job_finish(job=job, state=JobState.DONE, line=outcome.line)
