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
#: The states a worker steps a job in (when it is due and waits on no open task).
STEPPABLE_STATES = (JobState.WAITING, JobState.QUEUED, JobState.RUNNING)
