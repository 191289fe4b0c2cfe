"""Job (a script run in flight) and JobLog (its permanent record); its remote calls are contractor.subcontracting's
Tasks."""

from django.conf import settings
from django.db import models

from contractor.db import Timestamped
from contractor.foreman.choices import ACTIVE_STATES, JobState


class Job(Timestamped):
    """A blueprint script running for one target; its interpreter state lives in `runner_state`."""

    foundation = models.ForeignKey(
        "building.Foundation", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    structure = models.ForeignKey(
        "building.Structure", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    dependency = models.ForeignKey(
        "building.Dependency", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    script_name = models.CharField(max_length=50)
    source = models.TextField(help_text="The script as it was when the job started.")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.WAITING, db_index=True)
    message = models.TextField(blank=True)
    runner_state = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, help_text="Not stepped before this (delays, waits).")
    last_step_at = models.DateTimeField(null=True, blank=True, help_text="Workers step the least recent first.")
    step_count = models.PositiveIntegerField(default=0)
    signalled_at = models.DateTimeField(null=True, blank=True, help_text="The booted machine reported in.")
    steps = models.JSONField(
        default=list, blank=True, help_text="Its story: each step's outcome and operator action, oldest first."
    )

    class Meta:
        ordering = ["-created"]
        # migration 0009 adds job_steppable_order_idx, which a model's index cannot say on both databases
        indexes = [models.Index(fields=["state", "next_run_at"], name="job_runnable_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(foundation__isnull=False, structure__isnull=True, dependency__isnull=True)
                    | models.Q(foundation__isnull=True, structure__isnull=False, dependency__isnull=True)
                    | models.Q(foundation__isnull=True, structure__isnull=True, dependency__isnull=False)
                ),
                name="job_one_target",
            ),
            models.UniqueConstraint(
                fields=["foundation"], condition=models.Q(state__in=ACTIVE_STATES), name="job_one_per_foundation"
            ),
            models.UniqueConstraint(
                fields=["structure"], condition=models.Q(state__in=ACTIVE_STATES), name="job_one_per_structure"
            ),
            models.UniqueConstraint(
                fields=["dependency"], condition=models.Q(state__in=ACTIVE_STATES), name="job_one_per_dependency"
            ),
        ]

    def __str__(self):
        return f"{self.script_name} of {self.target}"

    @property
    def target(self):
        return self.foundation or self.structure or self.dependency


class JobLog(models.Model):
    """The permanent record of a job: who asked, what ran, when, and how it ended."""

    job_id_ref = models.BigIntegerField(null=True, blank=True, help_text="Id of the job this records.")
    target_kind = models.CharField(max_length=20)
    target = models.CharField(max_length=200, help_text="The target's locator, hostname or id when it ran.")
    script_name = models.CharField(max_length=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="job_logs"
    )
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=JobState.choices, blank=True)
    message = models.TextField(blank=True)
    steps = models.JSONField(default=list, blank=True, help_text="The job's steps, copied when it ended.")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.script_name} of {self.target_kind} {self.target}: {self.outcome or 'running'}"
