"""The bridge between Django and tscript: one job step in one transaction, on a row no other worker holds."""

import json
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from contractor.auditing import disable_auditlog
from contractor.building.models import Foundation
from contractor.db import execute_prepared
from contractor.events import events_held, events_record, events_together
from contractor.foreman import lifecycle, selectors, statements
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.foreman.modules import JobContext, modules_for
from contractor.subcontracting.choices import ANSWERED_TASK_STATES, TaskState
from contractor.subcontracting.models import Task
from contractor.webhooks.services import events_fan_out, events_prepare
from tscript import MAX_STATE_BYTES, NotAllowedError, Runner, StaleCookieError, StateTooLargeError

DEFAULT_STEP_BUDGET = 100_000
#: Jobs a worker steps in one transaction on PostgreSQL (FOREMAN_STEP_BATCH); 1 steps each in its own.
DEFAULT_STEP_BATCH = 8
#: How long a job that waits for another target's job sleeps before it looks again (FOREMAN_WAITING_POLL_SECONDS).
WAITING_POLL_SECONDS = 5


def clock() -> float:
    """The scripts' clock (seconds); tests replace it to pass delays without sleeping."""
    return time.time()


def step_budget() -> int:
    """Instructions one step may execute before the job goes to error (a runaway loop)."""
    return getattr(settings, "FOREMAN_STEP_BUDGET", DEFAULT_STEP_BUDGET)


def step_batch_size() -> int:
    """Jobs a worker claims and steps in one transaction on PostgreSQL (FOREMAN_STEP_BATCH, at least 1)."""
    return max(int(getattr(settings, "FOREMAN_STEP_BATCH", DEFAULT_STEP_BATCH)), 1)


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


#: What a claim loads with the job on databases other than PostgreSQL (one query): a foundation target and its site.
CLAIM_RELATED = ("foundation__site", "foundation__dependency")


class StepFailed(Exception):
    """Stepping a claimed job raised; its transaction rolled back. `job_id` names the job."""

    def __init__(self, job_id: int):
        super().__init__(f"Stepping job {job_id} failed")
        self.job_id = job_id


class Contended(Exception):
    """Another worker stepped the claimed job between this claim's snapshot and its lock: the step is undone."""


class BatchUndone(Exception):
    """A step of a batch raised or found an answer applied meanwhile, so the whole batch rolled back. `job_ids` names
    the jobs it had claimed, least recently stepped first: the caller steps them one at a time (job_step_next)."""

    def __init__(self, job_ids: list[int]):
        super().__init__(f"A batch of {len(job_ids)} job steps was undone")
        self.job_ids = job_ids


class StepWrite:
    """What a step changes besides the job row, gathered so that its end writes it all at once (one statement on
    PostgreSQL): each answered task's new state, the task to dispatch, the job log's fields, the events."""

    __slots__ = ("answers", "dispatch", "target", "log", "events")

    def __init__(self, events: list[dict]):
        self.answers: dict[int, str] = {}
        self.dispatch: dict | None = None
        self.target: tuple | None = None  # (the target, the fields its change set), from store_target
        self.log: dict = {}
        self.events = events

    def store_target(self, target, fields: list[str]) -> None:
        """The building service's change of the target, stored by the step's write (lifecycle.job_apply_effects)."""
        self.target = (target, fields)


def _claimed(job_ids: list[int], now) -> Job | None:
    """Lock and load (one query) the least recently stepped of `job_ids` still runnable that no other worker holds:
    with its foundation target and site and, on PostgreSQL, its answered tasks (`job.answered`)."""
    if connection.vendor == "postgresql":
        return statements.job_claim(job_ids, now)
    candidates = selectors.job_runnable().filter(pk__in=job_ids).select_related(*CLAIM_RELATED)
    return candidates.order_by(*selectors.STEP_ORDER).select_for_update(skip_locked=True, of=("self",)).first()


def job_step(*, job_id: int) -> bool:
    """Step the job if it is still runnable and no other worker holds it; True if it was stepped."""
    try:
        with transaction.atomic():
            now = timezone.now()
            job = _claimed([job_id], now)
            if job is None:
                return False
            _step(job, now)
    except StateTooLargeError as error:
        _state_refused(job_id, error)
    except Contended:
        return False
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
            now = timezone.now()
            claimed = _claimed(job_ids, now)
            if claimed is None:
                return None
            _step(claimed, now)
    except StateTooLargeError as error:
        _state_refused(claimed.pk, error)
    except Contended:
        pass  # another worker stepped it meanwhile: nothing of this step was kept
    except Exception as error:
        if claimed is None:
            raise
        raise StepFailed(claimed.pk) from error
    return claimed.pk


def job_step_batch(*, job_ids: list[int], size: int) -> list[int]:
    """Step, all in one transaction on PostgreSQL, the `size` least recently stepped of `job_ids` still runnable and
    not held by another worker; returns their ids (empty when none is left). One query claims and loads them all,
    their steps run in turn, one statement writes all they changed and one commit ends them, so a batch shares its
    round trips and its commit. Raises BatchUndone (from the error) when any step raised, Contended or
    StateTooLargeError included: the whole batch rolled back, and stepping its jobs one at a time leaves only the
    bad one failing.
    """
    claimed: list[Job] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            claimed = statements.jobs_claim(job_ids, now, size)
            steps: list[tuple[Job, StepWrite]] = []
            for job in claimed:
                _step(job, now, steps)
            _waits_rechecked(steps)
            if steps:
                _write_batch(steps, now)
    except Exception as error:
        if not claimed:
            raise
        raise BatchUndone([job.pk for job in claimed]) from error
    return [job.pk for job in claimed]


def _waits_rechecked(steps: list) -> None:
    """A batch's steps see nothing of each other's writes until it commits: a job found waiting on a target that a
    job of the same batch has just finished would wait FOREMAN_WAITING_POLL_SECONDS for it. So when any job of the batch
    ended, the jobs it found waiting are looked at again at the next pass (their next_run_at cleared)."""
    if not any(job.state in (JobState.DONE, JobState.ABORTED) for job, _ in steps):
        return
    for job, _ in steps:
        if job.state == JobState.WAITING and job.started_at is None:
            job.next_run_at = None


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
        job.save(update_fields=statements.FINISH_FIELDS)
        lifecycle.job_event(job, JobState.ERROR)


def _step(job: Job, now, batch: list | None = None) -> None:
    """Run the claimed job one step and write all it changed (events included) together at the end, or add it to
    `batch` for `_write_batch`; a step that raises writes nothing, and its transaction rolls back."""
    with events_held() as events:
        write = StepWrite(events)
        if job.started_at is None and _still_waiting(job, now):
            pass  # its story says what it waits for; it is tried again in FOREMAN_WAITING_POLL_SECONDS
        else:
            _run(job, write, now)
    if batch is None:
        _write(job, write, now)
    else:
        batch.append((job, write))


def _run(job: Job, write: StepWrite, now) -> None:
    context = job_context(job)
    runner = runner_for(job, context)
    write.answers = _apply_answers(job, runner)
    outcome = runner.run(max_steps=step_budget())
    if outcome.status == "waiting" and not context.pause_message:
        write.dispatch = outcome.task
    _record(job, runner, outcome, context, write, now)


def _still_waiting(job: Job, now) -> bool:
    blocker = selectors.job_blocker(job)
    if not blocker:
        if job.state == JobState.WAITING:
            job.state, job.message = JobState.QUEUED, ""
        return False
    job.state, job.message, job.last_step_at = JobState.WAITING, blocker, now
    job.next_run_at = now + timedelta(seconds=getattr(settings, "FOREMAN_WAITING_POLL_SECONDS", WAITING_POLL_SECONDS))
    lifecycle.job_step_record(job, status=JobState.WAITING, message=blocker, now=now)
    return True


def _answered(job: Job) -> list[dict]:
    """The job's answered tasks, oldest first: loaded by the claim on PostgreSQL, else read (and locked) here."""
    if hasattr(job, "answered"):
        return job.answered or []
    fields = ("id", "state", "cookie", "result", "error", "module", "function")
    tasks = job.tasks.select_for_update().filter(state__in=ANSWERED_TASK_STATES).order_by("pk")
    return list(tasks.values(*fields))


def _apply_answers(job: Job, runner: Runner) -> dict[int, str]:
    """Feed the runner the result or error of each answered task, exactly once; returns each task's new state
    (applied, or cancelled when the script no longer waits for it), which the step's write stores."""
    if not job.runner_state:
        return {}  # never stepped, so it never dispatched a task
    states = {}
    for task in _answered(job):
        try:
            if task["state"] == TaskState.DONE:
                runner.provide_result(task["cookie"], task["result"])
            else:
                failure = f"Task {task['module']}.{task['function']} ({task['id']}) failed: {task['error']}"
                runner.provide_error(task["cookie"], failure)
            states[task["id"]] = TaskState.APPLIED
        except (StaleCookieError, NotAllowedError):
            states[task["id"]] = TaskState.CANCELLED
    return states


def _json(value) -> str | None:
    return None if value is None else json.dumps(value)


def _write(job: Job, write: StepWrite, now) -> None:
    """Store the job row, the tasks' changes, the log entry and the events: one statement on PostgreSQL (see
    statements.write_sql). Raises Contended when an answer was applied by another step meanwhile (this one is then
    undone with its transaction)."""
    job.updated = now
    if connection.vendor != "postgresql":
        _write_orm(job, write, now)
        return
    rows, params = _write_params(job, write, now)
    with connection.cursor() as cursor:
        execute_prepared(cursor, statements.write_sql(), params)
        count, event_ids, subscribed = cursor.fetchone()
    _written(write, rows, count, event_ids, subscribed, now)


def _write_batch(steps: list[tuple[Job, StepWrite]], now) -> None:
    """`_write` for a batch's steps in one statement (statements.write_many_sql); Contended if any was."""
    prepared, params = [], {}
    for index, (job, write) in enumerate(steps):
        job.updated = now
        rows, one = _write_params(job, write, now)
        prepared.append(rows)
        params.update({f"{name}_{index}": value for name, value in one.items()})
    params.update(now=now, has_events=any(prepared))
    with connection.cursor() as cursor:
        execute_prepared(cursor, statements.write_many_sql(len(steps)), params)
        values = cursor.fetchone()
    for index, ((_, write), rows) in enumerate(zip(steps, prepared, strict=True)):
        _written(write, rows, values[2 * index], values[2 * index + 1], values[-1], now)


def _write_params(job: Job, write: StepWrite, now) -> tuple[list, dict]:
    """The step's events as rows to insert, and the write statement's parameters."""
    rows = events_prepare(events=write.events)
    target = _target_in_statement(write)
    task = _task_fields(job, write.dispatch) if write.dispatch else {}
    params = {name: getattr(job, name) for name in statements.FINISH_FIELDS}
    params.update(runner_state=_json(job.runner_state), steps=_json(job.steps), job=job.pk, now=now,
                  applied=[pk for pk, state in write.answers.items() if state == TaskState.APPLIED],
                  answered=list(write.answers), dispatch=bool(task), task_site=task.get("site_id"),
                  task_module=task.get("module"), task_function=task.get("function"),
                  task_parameters=_json(task.get("parameters")), task_cookie=task.get("cookie"),
                  log=bool(write.log), has_events=bool(rows),
                  events=json.dumps([_event_fields(row) for row, _ in rows]))  # fmt: skip
    params["target"] = target.pk if target is not None else None
    for name in statements.TARGET_FIELDS:
        params[f"target_{name}"] = getattr(target, name) if target is not None else None
    for name in statements.LOG_FIELDS:
        value = write.log.get(name)
        params[f"log_{name}"] = _json(value) if name == "steps" else value
    return rows, params


def _written(write: StepWrite, rows: list, count: int, event_ids, subscribed: bool, now) -> None:
    """After the write: Contended unless every answer was still answered; the events' deliveries if any may be."""
    if count != len(write.answers):
        raise Contended
    if subscribed and rows:
        for (row, _), pk in zip(rows, event_ids, strict=True):
            row.pk, row.created = pk, now
        events_fan_out(rows=rows)


def _target_in_statement(write: StepWrite):
    """The foundation whose change the write statement stores, or None; another change is saved here first."""
    if write.target is None:
        return None
    target, fields = write.target
    if isinstance(target, Foundation) and set(fields) <= set(statements.TARGET_FIELDS):
        return target
    _target_save(write)
    return None


def _target_save(write: StepWrite) -> None:
    if write.target is not None:
        target, fields = write.target
        with disable_auditlog():  # as the building services' own saves: the job's log tells the story
            target.save(update_fields=fields)


def _event_fields(event) -> dict:
    return {"kind": event.kind, "payload": event.payload, "target_kind": event.target_kind,
            "target_id": event.target_id, "site_id": event.site_id, "blueprint_id": event.blueprint_id}  # fmt: skip


def _write_orm(job: Job, write: StepWrite, now) -> None:
    for state in (TaskState.APPLIED, TaskState.CANCELLED):
        ids = [pk for pk, new in write.answers.items() if new == state]
        if ids:
            Task.objects.filter(pk__in=ids).update(state=state, updated=now)
    if write.dispatch:
        _dispatch(job, write.dispatch)
    _target_save(write)
    job.save(update_fields=statements.FINISH_FIELDS)
    if write.log:
        JobLog.objects.filter(job_id_ref=job.pk).update(**write.log)
    events_record(write.events)


def _record(job: Job, runner: Runner, outcome, context: JobContext, write: StepWrite, now) -> None:
    before = job.state
    _record_state(job, runner, outcome, context, write, now)
    if job.state != before and job.state in (JobState.PAUSED, JobState.ERROR):
        lifecycle.job_event(job, job.state)


def _record_state(job: Job, runner: Runner, outcome, context: JobContext, write: StepWrite, now) -> None:
    job.runner_state = runner.state()
    job.message = context.pause_message or outcome.message
    job.step_count += 1
    job.last_step_at, job.next_run_at = now, context.sleep_until
    if job.started_at is None:
        job.started_at = write.log["started_at"] = now
        lifecycle.job_event(job, "started")
        lifecycle.job_step_record(job, status="started", message="Started", line=None, now=now)
    if outcome.status in ("aborted", "done"):
        # The script's last words are a step of their own; the end is recorded with the job's.
        if outcome.status == "aborted":
            write.log.update(lifecycle.job_end(job, state=JobState.ABORTED, line=outcome.line))
        else:
            _finish_done(job, outcome, write, now)
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


def _waiting(job: Job, runner: Runner, outcome) -> None:
    if outcome.status != "waiting":
        return
    if not outcome.task and runner.delay_until is not None:  # a task was dispatched by the step's write
        job.next_run_at = datetime.fromtimestamp(runner.delay_until, UTC)


def _dispatch(job: Job, task: dict) -> None:
    """A Task row for the subcontractors of the target's site, once per cookie (other databases than PostgreSQL,
    whose step write inserts it)."""
    row = Task(job=job, **_task_fields(job, task))
    if connection.vendor == "postgresql":
        # ON CONFLICT DO NOTHING: only the unique cookie can conflict, so a second dispatch is a no-op in one query.
        Task.objects.bulk_create([row], ignore_conflicts=True)
    elif not Task.objects.filter(cookie=row.cookie).exists():  # SQLite's OR IGNORE would hide other violations too
        row.save()


def _task_fields(job: Job, task: dict) -> dict:
    """The Task row's fields for a remote call the script waits on, for the subcontractors of the target's site.

    A script function may name its subcontractor task `<module>.<function>` (`foundation.power_on` of an
    IPMI foundation sends `ipmi.power_on`); otherwise the task goes to the script module's namesake.
    """
    module, _, function = task["function"].rpartition(".")
    return {"site_id": _site_id(job), "cookie": task["cookie"], "module": module or task["module"],
            "function": function, "parameters": task["parameters"]}  # fmt: skip


def _site_id(job: Job) -> int:
    target = job.target
    return target.script_structure.site_id if job.dependency_id else target.site_id


def _finish_done(job: Job, outcome, write: StepWrite, now) -> None:
    # The building services check before they write, so a refusal leaves the target as it was (a foundation's is set
    # built without a savepoint for that reason, and stored by the step's write; the others' take one); the events of
    # a refused change are dropped.
    try:
        with events_together():
            lifecycle.job_apply_effects(job, store=write.store_target)
    except ValidationError as error:
        write.target = None  # a refusal comes before any change (none is stored)
        reason = "; ".join(error.messages)
        job.state, job.message = JobState.ERROR, f"The script finished but its target could not be updated: {reason}"
        lifecycle.job_step_record(job, status=JobState.ERROR, message=job.message, line=outcome.line, now=now)
        return
    job.message = "Done"
    write.log.update(lifecycle.job_end(job, state=JobState.DONE, line=outcome.line, now=now))
