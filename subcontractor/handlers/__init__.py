"""Task handler registry: module name -> {function name -> callable(parameters) -> JSON result}."""

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

__all__ = ["BUILTIN_MODULES", "ENTRY_POINT_GROUP", "HandlerError", "registry", "require"]

BUILTIN_MODULES = ("aws", "containers", "ipmi", "iputils", "libvirt", "redfish")
ENTRY_POINT_GROUP = "subcontractor.handlers"

Handler = Callable[[dict], object]


class HandlerError(Exception):
    """An expected task failure (wrong password, unreachable host): reported through the error endpoint."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def require(parameters: dict, name: str, kind: type | tuple[type, ...], default=...):
    """Return parameters[name] checked against kind; HandlerError names the parameter when it is wrong."""
    if name not in parameters or parameters[name] is None:
        if default is ...:
            raise HandlerError(f"parameter '{name}' is required")
        return default
    value = parameters[name]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise HandlerError(f"parameter '{name}' must be {_kind_name(kind)}, not a boolean")
    if not isinstance(value, kind):
        raise HandlerError(f"parameter '{name}' must be {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean"}.get(k.__name__, k.__name__)
        for k in kinds
    )


def registry() -> dict[str, dict[str, Handler]]:
    """Every task module the daemon can serve: the built-in ones plus those plugins declare by entry point."""
    modules = {name: importlib.import_module(f"subcontractor.handlers.{name}").FUNCTIONS for name in BUILTIN_MODULES}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        modules[entry.name] = dict(entry.load())
    return modules
