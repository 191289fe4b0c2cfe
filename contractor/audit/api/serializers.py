"""An audit log entry as the API shows it."""

from auditlog.models import LogEntry
from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.audit.registry import object_type_of

ACTION_NAMES = {LogEntry.Action.CREATE: "create", LogEntry.Action.UPDATE: "update", LogEntry.Action.DELETE: "delete"}


class ObjectChangeSerializer(ModelSerializer):
    time = serializers.DateTimeField(source="timestamp")
    user = serializers.SlugRelatedField(
        slug_field="username", source="actor", read_only=True, allow_null=True, help_text="Null for a command."
    )
    action = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    object_id = serializers.CharField(source="object_pk")
    object = serializers.CharField(source="object_repr", help_text="The object's name when it changed.")
    changes = serializers.JSONField(help_text="Field -> [before, after]; secrets are ********.")
    source = serializers.SerializerMethodField(help_text="api, admin or manage.py <command> (<OS user>).")
    operator_action = serializers.SerializerMethodField(help_text="pause, resume, reset, rollback or cancel.")

    class Meta:
        model = LogEntry
        fields = [
            "id", "time", "user", "source", "action", "operator_action", "object_type", "object_id", "object",
            "changes", "remote_addr",
        ]  # fmt: skip
        read_only_fields = fields

    def get_action(self, entry) -> str:
        return ACTION_NAMES.get(entry.action, "access")

    def get_object_type(self, entry) -> str | None:
        return object_type_of(entry.content_type_id)

    def get_source(self, entry) -> str | None:
        return (entry.additional_data or {}).get("source")

    def get_operator_action(self, entry) -> str | None:
        return (entry.additional_data or {}).get("operator_action")
