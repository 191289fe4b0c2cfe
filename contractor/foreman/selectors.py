"""Reads for jobs and job logs."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from contractor.foreman.choices import OPEN_TASK_STATES, JobState
from contractor.foreman.models import Job, JobLog, Task

STEPPABLE_STATES = (JobState.WAITING, JobState.QUEUED, JobState.RUNNING)


def job_list() -> QuerySet[Job]:
    """Every job with its target and creator loaded, without the bulky script source and runner state."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by").defer(
        "source", "runner_state"
    )


def job_detail() -> QuerySet[Job]:
    """Jobs with their target, creator and open tasks loaded, for the progress view."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by")


def job_log_list() -> QuerySet[JobLog]:
    """Every job log with its creator loaded."""
    return JobLog.objects.select_related("created_by")


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
