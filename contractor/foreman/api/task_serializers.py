"""Serializers of the read-only subcontractor and task views."""

from rest_framework import serializers

from contractor.api.permissions import can_see_secrets
from contractor.api.serializers import ModelSerializer
from contractor.configuration import redact
from contractor.foreman.models import Subcontractor, Task
from contractor.foreman.tasks import subcontractor_is_alive


class SubcontractorSerializer(ModelSerializer):
    sites = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    alive = serializers.SerializerMethodField(help_text="Polled within CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS.")

    class Meta:
        model = Subcontractor
        fields = ["id", "name", "user", "sites", "modules", "last_poll_at", "last_address", "alive", "created"]
        read_only_fields = fields

    def get_alive(self, subcontractor) -> bool:
        return subcontractor_is_alive(subcontractor)


class TaskSerializer(ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", read_only=True)
    leased_by = serializers.SlugRelatedField(slug_field="name", read_only=True)
    parameters = serializers.SerializerMethodField(help_text="Secret-named values hidden without user.view_secrets.")

    class Meta:
        model = Task
        fields = [
            "id", "job", "site", "module", "function", "parameters", "state", "attempts", "lease_expires",
            "leased_by", "result", "error", "created", "updated", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_parameters(self, task) -> dict:
        request = self.context.get("request")
        return task.parameters if can_see_secrets(getattr(request, "user", None)) else redact(task.parameters)


# --- the protocol's bodies, for the schema (docs/subcontractor.md) --------------------------------------------


class PollRequestSerializer(serializers.Serializer):
    site = serializers.CharField(required=False, help_text="One of the subcontractor's sites; default all of them.")
    modules = serializers.DictField(child=serializers.IntegerField(min_value=0), help_text="Module -> free slots.")


class LeasedTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField()
    module = serializers.CharField()
    function = serializers.CharField()
    parameters = serializers.DictField()
    cookie = serializers.CharField()
    lease_expires = serializers.DateTimeField()
    attempt = serializers.IntegerField()


class PollResponseSerializer(serializers.Serializer):
    tasks = LeasedTaskSerializer(many=True)


class ResultRequestSerializer(serializers.Serializer):
    cookie = serializers.CharField()
    result = serializers.JSONField()


class ErrorRequestSerializer(serializers.Serializer):
    cookie = serializers.CharField()
    error = serializers.CharField()
    retryable = serializers.BooleanField(default=False)


class AnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "stale"])
    detail = serializers.CharField()


class BatchEntrySerializer(serializers.Serializer):
    task = serializers.IntegerField()
    cookie = serializers.CharField()
    result = serializers.JSONField(required=False, help_text="A result; or give error (and retryable) instead.")
    error = serializers.CharField(required=False)
    retryable = serializers.BooleanField(default=False)


class BatchRequestSerializer(serializers.Serializer):
    results = BatchEntrySerializer(many=True)


class BatchAnswerSerializer(AnswerSerializer):
    task = serializers.IntegerField()


class BatchAnswersSerializer(serializers.Serializer):
    results = BatchAnswerSerializer(many=True)
