"""Reads for jobs and job logs."""

from django.db.models import QuerySet

from contractor.foreman.models import Job, JobLog


def job_list() -> QuerySet[Job]:
    """Every job with its target and creator loaded, without the bulky script source and runner state."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by").defer(
        "source", "runner_state"
    )


def job_log_list() -> QuerySet[JobLog]:
    """Every job log with its creator loaded."""
    return JobLog.objects.select_related("created_by")
