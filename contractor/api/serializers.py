"""The serializer base of every API model: a body that sets a read-only field is a 400 naming it; config values
are shown with their secrets redacted to users without `user.view_secrets`."""

from collections.abc import Mapping

from django.core.validators import EmailValidator
from rest_framework import serializers

from contractor.fields import ConfigValuesField
from contractor.redaction import (
    RedactedValueMissing,
    SecretCharField,
    can_see_secrets,
    declared_secret_keys,
    redact,
    restore_redacted,
)


def secret_names(context: dict) -> frozenset[str]:
    """The declared `secret_keys` patterns, read once per response (the context is shared by a list's rows)."""
    if "secret_names" not in context:
        context["secret_names"] = declared_secret_keys()
    return context["secret_names"]


class SecretsRedactedJSONField(serializers.JSONField):
    """A JSON object of config (config values, a foundation's id_map): secrets redacted for users without
    `user.view_secrets`; on a write, a redacted marker sent back keeps the value stored at its place."""

    def _reveal(self) -> bool:
        request = self.context.get("request")
        return can_see_secrets(getattr(request, "user", None))

    def to_representation(self, value):
        value = super().to_representation(value)
        return value if self._reveal() else redact(value, secret_names(self.context))

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        instance = getattr(self.parent, "instance", None)
        stored = getattr(instance, self.source, None) if instance is not None and not isinstance(instance, list) else {}
        try:
            return restore_redacted(data, stored if stored is not None else {})
        except RedactedValueMissing as error:
            raise serializers.ValidationError(str(error)) from error


class WriteOnlyCharField(serializers.CharField):
    """The serializer field of a SecretCharField: written, never read back."""

    def __init__(self, **kwargs):
        kwargs["write_only"] = True
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, refusing read-only fields in a request body instead of silently dropping them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            refused = {
                name: ["This field is read-only; leave it out of the request."]
                for name, field in self.fields.items()
                if field.read_only and name in data
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, ConfigValuesField):
            field_class = SecretsRedactedJSONField
        elif isinstance(model_field, SecretCharField):
            field_class = WriteOnlyCharField
        if field_class is serializers.EmailField and kwargs.get("allow_blank"):
            # An address that may be empty: the schema's "email" format would call "" invalid, so it is a string
            # (still checked as an address when it is not empty).
            field_class = serializers.CharField
            kwargs["validators"] = [*kwargs.get("validators", []), EmailValidator()]
        return field_class, kwargs
