"""Serializers of the foreman API."""

from rest_framework import serializers

from contractor.foreman.models import Job, JobLog


class JobSerializer(serializers.ModelSerializer):
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


class JobLogSerializer(serializers.ModelSerializer):
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
