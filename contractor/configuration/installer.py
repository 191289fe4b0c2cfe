"""The config a machine's installer sees over the unauthenticated boot endpoints: what it needs, no more."""

from fnmatch import fnmatchcase

from contractor.building.models import Structure
from contractor.configuration.layers import blueprint_layers, config_layers, target_class_list
from contractor.configuration.merge import merge_layers
from contractor.configuration.templating import render_config
from contractor.redaction import declared_secret_keys, is_secret_key

INSTALLER_SECRETS_KEY = "installer_secrets"


def installer_config(structure: Structure, extra: dict | None = None) -> dict:
    """The structure's merged config without its foundation's out-of-band keys and without unmarked secrets.

    Both are taken out before templates render, so no value built from them reaches the machine either. A secret
    reaches it only when a blueprint of the structure (its own or its foundation's lineage) names the key in
    `installer_secrets`; out-of-band keys (`Foundation.out_of_band_keys`, such as `_ipmi_*`) never do.
    """
    class_list = target_class_list(structure)
    merged = merge_layers(config_layers(structure), class_list=class_list)
    allowed = installer_secrets(structure, class_list)
    hidden = structure.foundation.subclass.out_of_band_keys
    names = declared_secret_keys()
    kept = {
        key: value if key in allowed else _without_secrets(value, names)
        for key, value in merged.items()
        if not any(fnmatchcase(key, pattern) for pattern in hidden)
        and (key in allowed or not is_secret_key(key, names))
    }
    return render_config(kept | (extra or {}))


def installer_secrets(structure: Structure, class_list=None) -> set[str]:
    """The secret keys the structure's blueprints (never a site or the structure itself) let its installer see."""
    layers = blueprint_layers(structure.foundation.blueprint) + blueprint_layers(structure.blueprint)
    marked = merge_layers(layers, class_list=class_list).get(INSTALLER_SECRETS_KEY) or []
    return {str(key) for key in marked} if isinstance(marked, list) else set()


def _without_secrets(value, names):
    """`value` with every secret key inside it (at any depth) left out."""
    if isinstance(value, dict):
        return {key: _without_secrets(item, names) for key, item in value.items() if not is_secret_key(key, names)}
    if isinstance(value, list):
        return [_without_secrets(item, names) for item in value]
    return value
