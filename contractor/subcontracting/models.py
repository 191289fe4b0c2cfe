"""Subcontractor (a registered daemon) and Task (a remote call of a job's script, handed to one)."""

from django.conf import settings
from django.db import models

from contractor.db import Timestamped
from contractor.subcontracting.choices import ANSWERED_TASK_STATES, OPEN_TASK_STATES, TaskState


class Subcontractor(Timestamped):
    """A subcontractor daemon: its API user, the sites it serves and the task modules it may take."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subcontractor")
    sites = models.ManyToManyField("site.Site", related_name="subcontractors")
    modules = models.JSONField(default=list, blank=True, help_text="Task modules it may take, e.g. ipmi, iputils.")
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_address = models.GenericIPAddressField(null=True, blank=True)
    lost_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was announced lost (subcontractor.lost) after it stopped polling."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Task(Timestamped):
    """A remote call of a job's script, handed to a subcontractor and answered with a result or an error.

    The job is named by its label only: the foreman, above this app, creates tasks and applies their answers.
    """

    job = models.ForeignKey("foreman.Job", on_delete=models.CASCADE, related_name="tasks")
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="tasks")
    module = models.CharField(max_length=50)
    function = models.CharField(max_length=100)
    parameters = models.JSONField(default=dict, blank=True)
    cookie = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires = models.DateTimeField(null=True, blank=True)
    leased_by = models.ForeignKey(Subcontractor, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
        indexes = [
            models.Index(fields=["state", "module", "site"], name="task_poll_idx"),
            # A job is runnable only while it waits on no open task, and its next step applies its answered ones: the
            # foreman asks both of every job it looks at, so each is a lookup in a small index of its own.
            models.Index(fields=["job"], condition=models.Q(state__in=OPEN_TASK_STATES), name="task_open_job_idx"),
            models.Index(
                fields=["job"], condition=models.Q(state__in=ANSWERED_TASK_STATES), name="task_answered_job_idx"
            ),
        ]

    def __str__(self):
        return f"{self.module}.{self.function} for job {self.job_id} ({self.state})"
