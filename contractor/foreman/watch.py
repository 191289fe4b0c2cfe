"""What the foreman worker watches on its jobs between passes: a job whose task no alive subcontractor can take
says why in its message (the protocol's watch finds why, and fails the tasks nobody leased in time)."""

from django.db import transaction

from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.subcontracting.watch import tasks_unclaimed_review

#: Starts the part of a waiting job's message that says why no subcontractor takes its task (dropped when one can).
NO_TAKER = " (no subcontractor can take it: "


def _say_on_job(job: Job, problem: str | None) -> None:
    """Add (or drop) the no-taker note on a job waiting on its task; only the message column is written."""
    base = job.message.split(NO_TAKER)[0]
    message = f"{base}{NO_TAKER}{problem})" if problem else base
    if message != job.message:
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(message=message)


@transaction.atomic
def tasks_unclaimed_check(*, now=None) -> int:
    """Note on each job whose pending task no alive subcontractor can take why it waits (site and module); fail
    the tasks nobody leased within CONTRACTOR_TASK_UNCLAIMED_SECONDS, so the foreman errors their jobs with that
    reason. Returns how many tasks it failed."""
    failed, waiting = tasks_unclaimed_review(now=now)
    for task, problem in waiting:
        _say_on_job(task.job, problem)
    return failed
