"""Hiding secrets (config values whose keys name a password, key, token... and plugins' secret fields) from users
without `user.view_secrets`, and keeping them when such a user writes back what they were shown.

Which keys are secret (docs/configuration.md, *Secrets*): a key whose name has a component that is one of
SECRET_WORDS (`root_password`, `apiKey`, `snmp_community`, `ssh_private_key`...), or that matches a pattern some
site or blueprint lists in its `secret_keys`. The configuration engine, above this module, answers the
`declared_secret_keys` hook with every such pattern.
"""

import re
from fnmatch import fnmatchcase

from django.db import models

from contractor.hooks import Hook

REDACTED = "********"
SECRET_WORDS = (
    "password",
    "passwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "key",
    "private",
    "credential",
    "community",
)
# A component naming a key that is public by nature (`ssh_authorized_keys`, `ssh_public_key`, `host_key_fingerprint`):
# `key` alone does not make such a name secret; any other secret word still does (`public_key_password`).
PUBLIC_WORDS = ("public", "pub", "authorized", "fingerprint")
# A word this long also counts inside a longer component (`rootpassword`, `privatekey`); shorter ones (`pass`,
# `key`) would match `compass` or `keyboard`, so they must be the whole component (or, for `key`, its end: `apikey`).
EMBEDDED_WORD_LENGTH = 5
SECRET_KEYS = "secret_keys"
# Keys whose values are lists of key names, not secrets, though their names hold a secret word.
NAME_LISTS = (SECRET_KEYS, "installer_secrets")

declared_secret_keys_hook = Hook("declared secret keys")

# Components of a key: runs of lower case (after one capital), runs of capitals, runs of digits.
_COMPONENT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
# A raw config key's name without its modifier (< > - ~) and :Class filter.
_RAW_NAME = re.compile(r"^[<>\-~]?(?P<name>[^:]*)")
_MISSING = object()


class RedactedValueMissing(ValueError):
    """A write sent the redaction marker where nothing is stored to stand for; `path` says where."""

    def __init__(self, path: str):
        super().__init__(f"{path}: {REDACTED!r} stands for a stored secret, and none is stored here; give the value.")
        self.path = path


class SecretCharField(models.CharField):
    """A text field holding a secret (a BMC password, a cloud secret key): the one way a plugin declares one.

    It is secret everywhere: write-only in the API (contractor/api/serializers.py), typed blind and kept when left
    empty in the admin (SecretsRedactedAdmin below), masked in the audit log, shown only as set or not in the
    console. A value the plugin puts into config goes under a secret key (`_ipmi_password`): a test walks every
    foundation type for that (tests/contractor/secrets).
    """


def key_components(key) -> list[str]:
    """`rootPassword` -> ["root", "password"]; `_ipmi_password` -> ["ipmi", "password"]; `API_KEY` -> ["api", "key"]."""
    return [part.lower() for part in _COMPONENT.findall(str(key))]


def _word_matches(component: str, word: str) -> bool:
    if component in (word, word + "s"):
        return True
    if word == "key":
        return component.endswith(("key", "keys"))
    return len(word) >= EMBEDDED_WORD_LENGTH and word in component


def raw_key_name(key) -> str:
    """The name a raw config key sets: `>root_password:vm` -> `root_password`."""
    match = _RAW_NAME.match(str(key))
    return match["name"] if match else str(key)


def is_secret_key(key, names=()) -> bool:
    """Whether `key` (a raw config key, a merged one or a field name) names a secret.

    `names` are the declared `secret_keys` patterns (fnmatch, case-insensitive) besides the built-in words.
    """
    name = raw_key_name(key).lower()
    if name in NAME_LISTS:
        return False
    if any(fnmatchcase(name, str(pattern).lower()) for pattern in names):
        return True
    components = key_components(key)
    words = {word for component in components for word in SECRET_WORDS if _word_matches(component, word)}
    if words == {"key"} and any(_word_matches(component, word) for component in components for word in PUBLIC_WORDS):
        return False
    return bool(words)


def declared_secret_keys() -> frozenset[str]:
    """Every pattern any site or blueprint lists in `secret_keys` (asks the configuration engine: a query)."""
    found: set[str] = set()
    for names in declared_secret_keys_hook.call():
        found.update(names)
    return frozenset(found)


def redact(config, names=()):
    """A copy of `config` with the value of every secret key, at any depth, replaced by REDACTED."""
    if isinstance(config, dict):
        return {key: REDACTED if is_secret_key(key, names) else redact(value, names) for key, value in config.items()}
    if isinstance(config, list):
        return [redact(item, names) for item in config]
    return config


def restore_redacted(new, stored, path: str = ""):
    """`new` with each REDACTED marker replaced by what `stored` holds at the same place (key path, list index).

    This is how a user who was shown redacted values writes them back without wiping the secrets. A marker with
    nothing stored at its place raises RedactedValueMissing naming the path.
    """
    if new == REDACTED:
        if stored is _MISSING:
            raise RedactedValueMissing(path or "value")
        return stored
    if isinstance(new, dict):
        old = stored if isinstance(stored, dict) else {}
        return {key: restore_redacted(value, old.get(key, _MISSING), _join(path, key)) for key, value in new.items()}
    if isinstance(new, list):
        old = stored if isinstance(stored, list) else []
        return [
            restore_redacted(value, old[index] if index < len(old) else _MISSING, _join(path, index))
            for index, value in enumerate(new)
        ]
    return new


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def can_see_secrets(user) -> bool:
    """Whether `user` may see secrets: config values, plugins' secret fields, webhook secrets and ack tokens."""
    return bool(user and user.is_authenticated and user.has_perm("user.view_secrets"))


def stored_value(instance, field: str):
    """What the database holds in `instance`'s `field` (the instance itself may carry redacted values)."""
    if instance is None or instance.pk is None:
        return {}
    return type(instance)._default_manager.filter(pk=instance.pk).values_list(field, flat=True).first()


class SecretsRedactedAdmin:
    """A ModelAdmin mixin hiding secrets from users without `user.view_secrets`.

    The JSON fields in `secret_json_fields` are shown redacted (change form, read-only view), and a redacted marker
    saved back keeps the stored value. A SecretCharField (above) is typed blind, never shown (only
    whether it is set), and left as it is when the form leaves it empty.
    """

    secret_json_fields: tuple[str, ...] = ("config_values",)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not can_see_secrets(request.user):
            names = declared_secret_keys()
            for field in self.secret_json_fields:
                setattr(obj, field, redact(getattr(obj, field), names))
            for field in _secret_char_fields(type(obj)):
                setattr(obj, field, REDACTED if getattr(obj, field) else "")
        return obj

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in _secret_char_fields(db_field.model):
            # Imported here: this module sits below the apps and needs Django's forms only in the admin.
            from django import forms

            widget = forms.PasswordInput(render_value=False)
            help_text = f"{db_field.help_text} Leave empty to keep the current one.".strip()
            return forms.CharField(required=False, widget=widget, max_length=db_field.max_length, help_text=help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        json_fields = [field for field in self.secret_json_fields if field in form.base_fields]
        char_fields = [field for field in _secret_char_fields(self.model) if field in form.base_fields]

        def clean(self):
            data = form.clean(self)
            for field in json_fields:
                if field in data:
                    try:
                        data[field] = restore_redacted(data[field], stored_value(self.instance, field) or {})
                    except RedactedValueMissing as error:
                        self.add_error(field, str(error))
            for field in char_fields:
                if not data.get(field):
                    data[field] = stored_value(self.instance, field) or ""
            return data

        return type(form.__name__, (form,), {"clean": clean}) if json_fields or char_fields else form


def _secret_char_fields(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields if isinstance(field, SecretCharField)]
