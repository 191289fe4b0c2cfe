"""SecretCharField: a model field the API accepts but never shows (write-only)."""

from django.db import models
from rest_framework import serializers


class SecretCharField(models.CharField):
    """A CharField holding a secret; ModelSerializers make it write-only."""


class WriteOnlyCharField(serializers.CharField):
    """The serializer field of a SecretCharField: written, never read back."""

    def __init__(self, **kwargs):
        kwargs["write_only"] = True
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


serializers.ModelSerializer.serializer_field_mapping[SecretCharField] = WriteOnlyCharField
