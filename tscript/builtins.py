"""The builtin functions: pure ones run inside expressions, the others stop the step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import NotDefinedError, ParameterError
from .values import copy, type_name

_MISSING = object()


@dataclass(frozen=True, slots=True)
class Builtin:
    """A builtin function: its parameters (name -> default, `_MISSING` when required)."""

    name: str
    params: dict
    fn: Callable | None = None  # None for the builtins the runner handles (pause, delay, ...)

    def bind(self, args: dict) -> dict:
        """Check the keyword arguments and fill in defaults; raises ParameterError."""
        for key in args:
            if key not in self.params:
                raise ParameterError(f"{self.name}() has no parameter '{key}' (it takes {self._signature()})")
        bound = {}
        for key, default in self.params.items():
            if key in args:
                bound[key] = args[key]
            elif default is _MISSING:
                raise ParameterError(f"{self.name}() needs the parameter '{key}'")
            else:
                bound[key] = default
        return bound

    def _signature(self) -> str:
        return ", ".join(self.params) or "no parameters"


def _array(name: str, value, kinds=(list,)):
    if type(value) not in kinds:
        allowed = " or ".join(type_name(k()) for k in kinds)
        raise ParameterError(f"{name}(): 'array' must be {allowed}, not {type_name(value)}")
    return value


def _integer(name: str, param: str, value):
    if type(value) is not int:
        raise ParameterError(f"{name}(): '{param}' must be an integer, not {type_name(value)}")
    return value


def _len(array):
    return len(_array("len", array, (list, dict, str)))


def _slice(array, start, end):
    _array("slice", array, (list, str))
    start = _integer("slice", "start", start)
    end = len(array) if end is None else _integer("slice", "end", end)
    return copy(array[start:end])


def _pop(array, index):
    _array("pop", array)
    try:
        return array.pop(_integer("pop", "index", index))
    except IndexError:
        raise NotDefinedError(f"pop(): index {index} is not defined (the array has {len(array)})") from None


def _append(array, value):
    _array("append", array).append(copy(value))


def _index(array, value):
    _array("index", array, (list, str))
    if type(array) is str and type(value) is not str:
        raise ParameterError(f"index(): 'value' must be a string to search a string, not {type_name(value)}")
    try:
        return array.index(value)
    except ValueError:
        raise NotDefinedError(f"index(): {value!r} is not in the {type_name(array)}") from None


PURE = {
    "len": Builtin("len", {"array": _MISSING}, _len),
    "slice": Builtin("slice", {"array": _MISSING, "start": 0, "end": None}, _slice),
    "pop": Builtin("pop", {"array": _MISSING, "index": -1}, _pop),
    "append": Builtin("append", {"array": _MISSING, "value": _MISSING}, _append),
    "index": Builtin("index", {"array": _MISSING, "value": _MISSING}, _index),
}

#: Builtins whose `array` argument is changed in place: the runner passes the variable itself.
IN_PLACE = frozenset({"pop", "append"})

STOPPING = {
    "pause": Builtin("pause", {"msg": "Paused"}),
    "error": Builtin("error", {"msg": "Error"}),
    "fatal_error": Builtin("fatal_error", {"msg": "Fatal error"}),
    "message": Builtin("message", {"msg": ""}),
    "delay": Builtin("delay", {"seconds": 0, "minutes": 0, "hours": 0}),
}


def delay_seconds(args: dict) -> int:
    """The total of a delay() call in seconds; zero, negative or non-integer values are bad parameters."""
    for key, value in args.items():
        if type(value) is not int:
            raise ParameterError(f"delay(): '{key}' must be an integer, not {type_name(value)}")
    total = args["seconds"] + 60 * args["minutes"] + 3600 * args["hours"]
    if total <= 0:
        raise ParameterError("delay(): the total delay must be more than zero")
    return total


def message_text(name: str, args: dict) -> str:
    """The `msg` argument of pause/error/fatal_error/message as text."""
    msg = args["msg"]
    if msg is None or type(msg) in (list, dict):
        raise ParameterError(f"{name}(): 'msg' must be text, not {type_name(msg)}")
    return msg if type(msg) is str else str(msg)
