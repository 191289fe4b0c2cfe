"""Reads for jobs and job logs."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from contractor.foreman.choices import OPEN_TASK_STATES, JobState
from contractor.foreman.models import Job, JobLog, Task
from tscript import Runner, StateError, TScriptError

STEPPABLE_STATES = (JobState.WAITING, JobState.QUEUED, JobState.RUNNING)


def job_list() -> QuerySet[Job]:
    """Every job with its target and creator loaded, without the bulky script source and runner state."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by").defer(
        "source", "runner_state", "steps"
    )


def job_detail() -> QuerySet[Job]:
    """Jobs with their target, creator and open tasks loaded, for the progress view."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by")


def job_log_list() -> QuerySet[JobLog]:
    """Every job log with its creator loaded, without the steps (the detail shows them)."""
    return JobLog.objects.select_related("created_by").defer("steps")


def job_log_detail() -> QuerySet[JobLog]:
    """Job logs with their creator and steps."""
    return JobLog.objects.select_related("created_by")


def job_log_steps(log: JobLog) -> list[dict]:
    """The job's story: copied into the log when the job ended; read from the job itself while it is active."""
    if log.finished_at is not None or log.job_id_ref is None:
        return log.steps
    live = Job.objects.filter(pk=log.job_id_ref).values_list("steps", flat=True).first()
    return log.steps if live is None else live


def job_runnable() -> QuerySet[Job]:
    """Jobs a worker may step now: waiting, queued or running, due, and not waiting on an open task."""
    open_task = Task.objects.filter(job=OuterRef("pk"), state__in=OPEN_TASK_STATES)
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=timezone.now())
    return Job.objects.filter(due, state__in=STEPPABLE_STATES).exclude(Exists(open_task))


def job_runnable_ids(limit: int) -> list[int]:
    """Up to `limit` runnable jobs, the least recently stepped first, so that no job starves."""
    ordered = job_runnable().order_by(F("last_step_at").asc(nulls_first=True), "pk")
    return list(ordered.values_list("pk", flat=True)[:limit])


def job_pending_task(job: Job) -> Task | None:
    """The job's newest task that is not yet applied or cancelled."""
    return job.tasks.exclude(state__in=("applied", "cancelled")).order_by("-pk").first()


def _redacted(value):
    from contractor.configuration import redact

    return redact(value)


def _elapsed(job: Job) -> float | None:
    if job.started_at is None:
        return None
    return ((job.finished_at or timezone.now()) - job.started_at).total_seconds()


def job_progress(job: Job) -> dict:
    """A job's progress from its saved interpreter state: percent, current block, times, line and variables."""
    view = {"progress": 100.0 if job.state == JobState.DONE else 0.0, "block": None, "elapsed": _elapsed(job),
            "remaining": None, "line": None, "variables": {}, "levels": []}  # fmt: skip
    if not job.runner_state:
        return view
    try:
        runner = Runner.from_state(job.source, job.runner_state)
    except (TScriptError, StateError):
        return view
    levels = runner.progress()
    scopes = [level for level in levels if level["kind"] == "scope"]
    outer = levels[0] if levels else {}
    view.update(progress=outer.get("percent") or 0.0, remaining=outer.get("remaining"), levels=levels)
    view.update(block=scopes[-1]["description"] if scopes else None, line=runner.line)
    view["variables"] = _redacted(runner.variables)
    return view


def job_pending_task_view(job: Job) -> dict | None:
    """The task the job waits on (secret parameters redacted), or None."""
    task = job_pending_task(job)
    if task is None:
        return None
    return {"id": task.pk, "module": task.module, "function": task.function, "parameters": _redacted(task.parameters),
            "cookie": task.cookie, "state": task.state, "attempts": task.attempts}  # fmt: skip
