"""Choices for jobs."""

from django.db import models

#: The two scripts whose end changes the target (built, destroyed); any other script is a utility script.
CREATE, DESTROY = "create", "destroy"


class JobState(models.TextChoices):
    WAITING = "waiting", "Waiting on what it depends on"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    ERROR = "error", "Error"
    ABORTED = "aborted", "Aborted"
    DONE = "done", "Done"


ACTIVE_STATES = (JobState.WAITING, JobState.QUEUED, JobState.RUNNING, JobState.PAUSED, JobState.ERROR)


class TaskState(models.TextChoices):
    PENDING = "pending", "Pending: waiting for a subcontractor"
    LEASED = "leased", "Leased to a subcontractor"
    DONE = "done", "Done: result waiting for the foreman"
    FAILED = "failed", "Failed: error waiting for the foreman"
    APPLIED = "applied", "Applied to the job"
    CANCELLED = "cancelled", "Cancelled (stale cookie, rollback or job ended)"


OPEN_TASK_STATES = (TaskState.PENDING, TaskState.LEASED)
