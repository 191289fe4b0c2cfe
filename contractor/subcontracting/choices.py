"""Choices for tasks."""

from django.db import models


class TaskState(models.TextChoices):
    PENDING = "pending", "Pending: waiting for a subcontractor"
    LEASED = "leased", "Leased to a subcontractor"
    DONE = "done", "Done: result waiting for the foreman"
    FAILED = "failed", "Failed: error waiting for the foreman"
    APPLIED = "applied", "Applied to the job"
    CANCELLED = "cancelled", "Cancelled (stale cookie, rollback or job ended)"


OPEN_TASK_STATES = (TaskState.PENDING, TaskState.LEASED)
#: A task in these states holds its answer until its job's next step applies it.
ANSWERED_TASK_STATES = (TaskState.DONE, TaskState.FAILED)
FINISHED_STATES = (TaskState.DONE, TaskState.FAILED, TaskState.APPLIED)
