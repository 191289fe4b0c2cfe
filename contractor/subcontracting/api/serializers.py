"""Serializers of the subcontractor protocol (docs/subcontractor.md) and of the read-only subcontractor and task
views. The protocol's views validate every body they accept with these and build every body they return with them,
so the OpenAPI schema describes what is on the wire."""

from rest_framework import serializers

from contractor.api.permissions import can_see_secrets
from contractor.api.serializers import ModelSerializer
from contractor.configuration import redact
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.selectors import subcontractor_is_alive

MAX_BATCH_ANSWERS = 500


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


# --- the protocol's bodies ------------------------------------------------------------------------------------


class TextField(serializers.CharField):
    """A JSON string, nothing coerced into one (a number where a name belongs is refused)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


MAX_POLL_SLOTS = 1000  # free slots one poll may ask for per module: a lease query's LIMIT, not a bigint overflow


class CountField(serializers.IntegerField):
    """A JSON integer, nothing coerced into one (neither "3" nor true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class PollRequestSerializer(serializers.Serializer):
    site = TextField(required=False, allow_blank=True, help_text="One of its sites; default all it serves.")
    sites = serializers.ListField(
        child=TextField(allow_blank=True), required=False, help_text="Several of its sites (instead of site)."
    )
    modules = serializers.DictField(
        child=CountField(min_value=0, max_value=MAX_POLL_SLOTS),
        required=False,
        default=dict,
        help_text=f"Module -> free slots (at most {MAX_POLL_SLOTS} each).",
    )


class LeasedTaskSerializer(serializers.Serializer):
    """One leased task as the daemon reads it."""

    id = serializers.IntegerField(source="pk")
    job = serializers.IntegerField(source="job_id")
    module = serializers.CharField()
    function = serializers.CharField()
    parameters = serializers.DictField()
    cookie = serializers.CharField()
    lease_expires = serializers.DateTimeField()
    attempt = serializers.IntegerField(source="attempts")


class PollResponseSerializer(serializers.Serializer):
    tasks = LeasedTaskSerializer(many=True)
    lease_seconds = serializers.FloatField(
        help_text="How long each lease lasts from now; the daemon renews a running task's lease half way through, "
        "timed by its own clock from when it got this answer (so clock skew does not matter)."
    )


class ResultRequestSerializer(serializers.Serializer):
    cookie = TextField()
    result = serializers.JSONField(allow_null=True, help_text="What the task returned (any JSON).")


class ErrorRequestSerializer(serializers.Serializer):
    cookie = TextField()
    error = TextField(allow_blank=True)
    retryable = serializers.BooleanField(default=False)


class AnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "stale"])
    detail = serializers.CharField()


class BatchEntrySerializer(serializers.Serializer):
    task = CountField()
    cookie = TextField()
    result = serializers.JSONField(
        required=False, allow_null=True, help_text="A result; or give error (and retryable) instead."
    )
    error = TextField(required=False, allow_blank=True)
    retryable = serializers.BooleanField(default=False)

    def validate(self, attrs):
        if ("result" in attrs) == ("error" in attrs):
            raise serializers.ValidationError("Give one of 'result' or 'error'.")
        return attrs


class BatchRequestSerializer(serializers.Serializer):
    results = BatchEntrySerializer(many=True, min_length=1, max_length=MAX_BATCH_ANSWERS)


class BatchAnswerSerializer(AnswerSerializer):
    task = serializers.IntegerField()


class BatchAnswersSerializer(serializers.Serializer):
    results = BatchAnswerSerializer(many=True)


class LeaseEntrySerializer(serializers.Serializer):
    task = CountField()
    cookie = TextField()


class LeaseRequestSerializer(serializers.Serializer):
    tasks = LeaseEntrySerializer(many=True, min_length=1, max_length=MAX_BATCH_ANSWERS)


class RenewedLeaseSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    lease_expires = serializers.DateTimeField()


class LeaseAnswerSerializer(serializers.Serializer):
    lease_seconds = serializers.FloatField(help_text="How long a lease lasts; renew well within it.")
    tasks = RenewedLeaseSerializer(many=True, help_text="The renewed tasks; one it no longer holds is missing.")
