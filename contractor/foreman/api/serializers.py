"""Serializers of the foreman API."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.foreman import selectors
from contractor.foreman.models import Job, JobLog


class JobSerializer(ModelSerializer):
    """A job: what it runs on (`target_kind`, `target`), which script, and how far it has got."""

    target_kind = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    foundation = serializers.SlugRelatedField(slug_field="locator", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "target_kind",
            "target",
            "foundation",
            "structure",
            "dependency",
            "script_name",
            "state",
            "message",
            "created_by",
            "created",
            "started_at",
            "finished_at",
            "updated",
        ]
        read_only_fields = fields

    def get_target_kind(self, job) -> str:
        """Which kind of object the job runs on: foundation, structure or dependency."""
        if job.foundation_id:
            return "foundation"
        return "structure" if job.structure_id else "dependency"

    def get_target(self, job) -> str:
        """The foundation's locator, the structure's hostname or the dependency's id."""
        if job.foundation_id:
            return job.foundation.locator
        return job.structure.hostname if job.structure_id else str(job.dependency_id)


class JobDetailSerializer(JobSerializer):
    """A job with its progress: percent, current block, elapsed and remaining seconds, line, variables, pending task."""

    progress = serializers.SerializerMethodField()
    block = serializers.SerializerMethodField()
    elapsed = serializers.SerializerMethodField()
    remaining = serializers.SerializerMethodField()
    line = serializers.SerializerMethodField()
    variables = serializers.SerializerMethodField()
    pending_task = serializers.SerializerMethodField()
    steps = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="The job's story, oldest first: each step's outcome (at, last_at, count, line, status, message) "
        "and each operator action; the newest FOREMAN_JOB_STEPS_KEPT (200) entries are kept.",
    )

    class Meta(JobSerializer.Meta):
        fields = JobSerializer.Meta.fields + [
            "progress", "block", "elapsed", "remaining", "line", "variables", "pending_task", "step_count",
            "next_run_at", "steps",
        ]  # fmt: skip
        read_only_fields = fields

    def _view(self, job) -> dict:
        if getattr(job, "_progress_view", None) is None:
            job._progress_view = selectors.job_progress(job)
        return job._progress_view

    def get_progress(self, job) -> float:
        """Percent of the script done (from the outermost block)."""
        return self._view(job)["progress"]

    def get_block(self, job) -> str | None:
        """The description of the innermost block running."""
        return self._view(job)["block"]

    def get_elapsed(self, job) -> float | None:
        """Seconds since the job started (until it finished)."""
        return self._view(job)["elapsed"]

    def get_remaining(self, job) -> float | None:
        """Seconds left by the script's expected_time, if it gives one."""
        return self._view(job)["remaining"]

    def get_line(self, job) -> int | None:
        """The script line the job is at."""
        return self._view(job)["line"]

    def get_variables(self, job) -> dict:
        """The script's variables, secrets redacted."""
        return self._view(job)["variables"]

    def get_pending_task(self, job) -> dict | None:
        """The remote task the job waits on: module, function, parameters, cookie, state, attempts."""
        return selectors.job_pending_task_view(job)


class ScriptNameField(serializers.CharField):
    """A script's name: a JSON string only (DRF's CharField would take 5 as the script "5")."""

    KINDS = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            kind = self.KINDS.get(type(data), "null" if data is None else type(data).__name__)
            raise serializers.ValidationError(f"Give the script's name as a string, not {kind}.", code="invalid")
        return super().to_internal_value(data)


class JobCreateSerializer(serializers.Serializer):
    """The body of `POST .../jobs/`: which script to run."""

    script = ScriptNameField(max_length=50, help_text="create, destroy, or a utility script's name.")


class JobLogSerializer(ModelSerializer):
    """The permanent record of one job run."""

    job = serializers.IntegerField(source="job_id_ref", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = JobLog
        fields = [
            "id",
            "job",
            "target_kind",
            "target",
            "script_name",
            "outcome",
            "message",
            "created_by",
            "created",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobLogDetailSerializer(JobLogSerializer):
    """A job log with the job's whole story (`steps`), kept after the job is gone."""

    steps = serializers.SerializerMethodField()

    class Meta(JobLogSerializer.Meta):
        fields = JobLogSerializer.Meta.fields + ["steps"]
        read_only_fields = fields

    def get_steps(self, log) -> list[dict]:
        """Each step's outcome and operator action, oldest first (the job's own while it runs)."""
        return selectors.job_log_steps(log)
