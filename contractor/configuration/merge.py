"""Merging config layers: key modifiers (< > - ~) and :Class filters, with no database access."""

import copy
import re
from collections.abc import Iterable

from contractor.configuration.errors import ConfigError

KEY_PATTERN = re.compile(r"^(?P<modifier>[<>\-~]?)(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)(?::(?P<cls>[a-zA-Z0-9_\-]+))?$")

# Within one layer the modifiers apply in this order: replace, prepend, append, remove, mask.
MODIFIER_ORDER = ("", "<", ">", "-", "~")
MODIFIER_NAMES = {"<": "prepend", ">": "append", "-": "remove"}


def parse_key(key: str, layer: str = "") -> tuple[str, str, str | None]:
    """Split a raw key such as `>dns_servers:vm` into (modifier, name, class or None)."""
    match = KEY_PATTERN.match(key)
    if match is None:
        raise ConfigError(f"Config key {key!r} in layer {layer or '?'} is not a valid config key.")
    return match["modifier"], match["name"], match["cls"]


def merge_layers(layers: Iterable[tuple[str, dict]], *, class_list: list[str] | None) -> dict:
    """Apply each (layer name, raw values) in turn, lowest priority first, into one plain dict."""
    return merge_layers_traced(layers, class_list=class_list)[0]


def merge_layers_traced(
    layers: Iterable[tuple[str, dict]], *, class_list: list[str] | None
) -> tuple[dict, dict[str, list[str]]]:
    """Like merge_layers, plus each merged key's origin: the layers that shaped its value, in order.

    A replace starts a key's origin afresh; prepend, append and remove add their layer to it.
    """
    config: dict = {}
    origins: dict[str, list[str]] = {}
    for layer_name, values in layers:
        apply_layer(config, values, layer=layer_name, class_list=class_list, origins=origins)
    return config, {name: origins[name] for name in config}


def apply_layer(
    config: dict, values: dict, *, layer: str, class_list: list[str] | None, origins: dict | None = None
) -> dict:
    """Apply one layer's raw values to `config` in place (and return it), noting each key's layer in `origins`.

    Keys whose `:Class` is not in `class_list` are skipped (all of them when `class_list` is None).
    For one modifier, class-less keys apply before class-filtered ones, so the specific value wins.
    """
    for modifier, name, value in _ordered_entries(values, layer=layer, class_list=class_list):
        had = name in config
        _apply(config, modifier, name, copy.deepcopy(value), layer=layer)
        if origins is not None and name in config:
            trail = origins.setdefault(name, [])
            if modifier == "" or not had:
                trail.clear()
            if layer not in trail:
                trail.append(layer)
    return config


def _ordered_entries(values: dict, *, layer: str, class_list: list[str] | None) -> list[tuple[str, str, object]]:
    entries = []
    for key, value in values.items():
        modifier, name, cls = parse_key(key, layer)
        if cls is not None and (class_list is None or cls not in class_list):
            continue
        entries.append((MODIFIER_ORDER.index(modifier), cls is not None, modifier, name, value))
    entries.sort(key=lambda entry: entry[:2])
    return [(modifier, name, value) for _, _, modifier, name, value in entries]


def _apply(config: dict, modifier: str, name: str, value, *, layer: str) -> None:
    if modifier == "":
        config[name] = value
    elif modifier == "~":
        config.pop(name, None)
    elif modifier == "-":
        if name in config:
            config[name] = _remove(config[name], value, name=name, layer=layer)
    elif name not in config:
        config[name] = value
    else:
        config[name] = _join(config[name], value, prepend=modifier == "<", name=name, layer=layer)


def _join(old, new, *, prepend: bool, name: str, layer: str):
    kind = _same_kind(old, new, (list, str, dict))
    if kind is None:
        raise _type_error("<" if prepend else ">", old, new, name=name, layer=layer)
    if kind is dict:
        # Prepend keeps the existing keys; append lets the new ones win.
        return {**new, **old} if prepend else {**old, **new}
    return new + old if prepend else old + new


def _remove(old, value, *, name: str, layer: str):
    if isinstance(old, list):
        unwanted = value if isinstance(value, list) else [value]
        return [item for item in old if item not in unwanted]
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items) or not isinstance(old, dict | str):
        raise _type_error("-", old, value, name=name, layer=layer)
    if isinstance(old, dict):
        return {key: item for key, item in old.items() if key not in items}
    for item in items:
        old = old.replace(item, "")
    return old


def _same_kind(old, new, kinds: tuple[type, ...]) -> type | None:
    for kind in kinds:
        if isinstance(old, kind) and isinstance(new, kind):
            return kind
    return None


def _type_error(modifier: str, old, new, *, name: str, layer: str) -> ConfigError:
    preposition = "from" if modifier == "-" else "to"
    return ConfigError(
        f"Cannot {MODIFIER_NAMES[modifier]} a {_type_name(new)} {preposition} the {_type_name(old)} value of "
        f"config key {name!r} in layer {layer}."
    )


def _type_name(value) -> str:
    names = {list: "list", dict: "dict", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
