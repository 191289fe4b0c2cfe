"""Model fields shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from contractor.hooks import Hook
from contractor.validators import config_key_validator

config_checks = Hook("config values check")


def validate_config_values(value):
    """Config values are a JSON object whose keys follow the config key syntax."""
    if not isinstance(value, dict):
        raise ValidationError("Config values must be a JSON object of key -> value.")
    bad = []
    for key in value:
        try:
            config_key_validator(key)
        except ValidationError:
            bad.append(key)
    if bad:
        raise ValidationError(
            "Invalid config key(s): %(keys)s. " + config_key_validator.message, params={"keys": ", ".join(bad)}
        )


def check_config_values(instance) -> None:
    """Refuse (a ValidationError on `config_values`) a site, blueprint, foundation or structure whose config can
    never be built as it is about to be saved; called from each model's clean(), so every write path checks it.
    The configuration engine, which sits above the apps whose models use this field, registers the check."""
    config_checks.check(target=instance)


class ConfigValuesField(models.JSONField):
    """A JSON object of config keys (with modifiers) to values."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("validators", [validate_config_values])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


class OffsetField(models.Field):
    """A whole number from 0 to 2**128 - 1 (an address's place in its block), exact on every database.

    Stored as 39 zero-padded digits (a varchar), so SQLite, whose integers stop at 2**63, keeps it exact, and
    equality, uniqueness and ordering on the column are those of the numbers. Python sees an int.
    """

    description = "An offset up to 2**128 - 1"
    DIGITS = 39

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = self.DIGITS
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "CharField"

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def to_python(self, value):
        if value is None or value == "":
            return None
        try:
            number = int(value)
        except (TypeError, ValueError) as error:
            raise ValidationError(f"{value!r} is not a whole number.", code="invalid") from error
        if number != value and not isinstance(value, str | int):
            raise ValidationError(f"{value!r} is not a whole number.", code="invalid")
        if not 0 <= number < 2**128:
            raise ValidationError(f"{number} is not between 0 and 2**128 - 1.", code="invalid")
        return number

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        number = int(value)
        # A negative number (never stored) pads to a string no stored value equals.
        return f"{number:0{self.DIGITS}d}"

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.IntegerField, "min_value": 0, **kwargs})
