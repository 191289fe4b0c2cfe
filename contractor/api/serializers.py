"""The serializer base of every API model: a body that sets a read-only field is a 400 naming it."""

from collections.abc import Mapping

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
