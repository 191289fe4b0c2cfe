"""Model fields shared by the apps."""

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
