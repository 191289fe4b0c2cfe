"""The serializer base of every API model: a body that sets a read-only field is a 400 naming it."""

from collections.abc import Mapping

from django.core.validators import EmailValidator
from rest_framework import serializers


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
        if field_class is serializers.EmailField and kwargs.get("allow_blank"):
            # An address that may be empty: the schema's "email" format would call "" invalid, so it is a string
            # (still checked as an address when it is not empty).
            field_class = serializers.CharField
            kwargs["validators"] = [*kwargs.get("validators", []), EmailValidator()]
        return field_class, kwargs
