"""TScript values: copying, text conversion, and the tagged JSON form used in saved state."""

from __future__ import annotations

import math
from datetime import timedelta

from .errors import OperandError

#: Types the arithmetic operators take.
NUMERIC = frozenset({int, float, bool})
_SCALARS = frozenset({int, float, bool, str, type(None), timedelta})
_TAGS = ("__duration__", "__map__", "__int__", "__float__")
_INT_LIMIT = 10**4000  # json refuses to write integers longer than 4300 digits


def copy(value):
    """A deep copy, so that assignment never shares lists or maps between variables."""
    kind = type(value)
    if kind is list:
        return [copy(item) for item in value]
    if kind is dict:
        return {key: copy(item) for key, item in value.items()}
    return value


def type_name(value) -> str:
    """The TScript name of a value's type, for error messages."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    int: "integer", float: "float", bool: "boolean", str: "string", type(None): "none",
    list: "array", dict: "map", timedelta: "duration",
}  # fmt: skip


def to_text(value) -> str:
    """The text the `.` operator joins: Python's str(), so 2.0, True, None and 0:01:30."""
    if type(value) is str:
        return value
    try:
        return str(value)
    except ValueError as exc:  # an integer too long to write out
        raise OperandError(f"Cannot convert to text: {exc}") from None


def check_value(value, where: str = "value"):
    """Raise OperandError unless `value` is something a script can hold (JSON types and durations)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        for item in value:
            check_value(item, where)
        return value
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise OperandError(f"Map keys must be strings in {where}, not {type_name(key)}")
            check_value(item, where)
        return value
    raise OperandError(f"A {type(value).__name__} cannot be used as a TScript {where}")


def encode(value):
    """The JSON form of a value; durations, odd numbers and tag-like maps are tagged."""
    kind = type(value)
    if kind is list:
        return [encode(item) for item in value]
    if kind is dict:
        body = {key: encode(item) for key, item in value.items()}
        return {"__map__": body} if len(value) == 1 and next(iter(value)) in _TAGS else body
    if kind is timedelta:
        return {"__duration__": value.total_seconds()}
    if kind is int and not -_INT_LIMIT < value < _INT_LIMIT:
        return {"__int__": hex(value)}
    if kind is float and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def decode(value):
    """The inverse of `encode`."""
    kind = type(value)
    if kind is list:
        return [decode(item) for item in value]
    if kind is not dict:
        return value
    if len(value) == 1:
        tag, inner = next(iter(value.items()))
        if tag == "__duration__":
            return timedelta(seconds=inner)
        if tag == "__map__":
            return {key: decode(item) for key, item in inner.items()}
        if tag == "__int__":
            return int(inner, 16)
        if tag == "__float__":
            return float(inner)
    return {key: decode(item) for key, item in value.items()}


def to_plain(value):
    """A JSON-friendly view for people and APIs: durations as seconds, no tags."""
    kind = type(value)
    if kind is list:
        return [to_plain(item) for item in value]
    if kind is dict:
        return {key: to_plain(item) for key, item in value.items()}
    if kind is timedelta:
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if kind is int and not -_INT_LIMIT < value < _INT_LIMIT:
        return hex(value)
    if kind is float and not math.isfinite(value):
        return repr(value)
    return value
