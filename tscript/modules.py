"""The host interface: modules that export values and local or remote functions to scripts."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import NotDefinedError, OperandError, ParameterError


@dataclass(slots=True)
class Value:
    """A module value: read-only with only a getter, write-only with only a setter, or both."""

    getter: Callable[[], Any] | None = None
    setter: Callable[[Any], None] | None = None


@dataclass(slots=True)
class Local:
    """A local function finished within the step: `fn(**params)` returns the call's value."""

    fn: Callable[..., Any]


@dataclass(slots=True)
class Step:
    """What one step of a `Steps` function returns: more work (message, new state) or the final value."""

    message: str = ""
    state: Any = None
    done: bool = False
    value: Any = None

    @classmethod
    def more(cls, message: str, state: Any) -> Step:
        """Not finished: end this job step with `message`; `state` (JSON) comes back next step."""
        return cls(message=message, state=state)

    @classmethod
    def finish(cls, value: Any = None) -> Step:
        """Finished: `value` becomes the call's value and the script continues."""
        return cls(done=True, value=value)


@dataclass(slots=True)
class Steps:
    """A local function spanning several job steps.

    `start(**params)` returns the handler state (JSON); `step(state)` returns a `Step`. The state
    is saved with the job between steps, so `step` may run in another process.
    """

    start: Callable[..., Any]
    step: Callable[[Any], Step]


@dataclass(slots=True)
class Remote:
    """A function run by a subcontractor: the script waits for the task's result.

    `task(**params)` returns the task's parameters (default: the call's arguments); `function`
    names the subcontractor function (default: the registered name). `rollback(**params)`, when
    given, returns the parameters of a rollback task named `rollback_function` (default
    `rollback_<name>`); without it `rollback()` is refused. `result(value)` converts the task's
    result into the call's value. With `then` (a `Steps`), the call goes on after the task's
    result: `then.start(result=value)` begins it and its steps give the call's value (a power-on
    task, say, then waiting for what the machine does once it is on).
    """

    task: Callable[..., Any] | None = None
    function: str | None = None
    rollback: Callable[..., Any] | None = None
    rollback_function: str | None = None
    result: Callable[[Any], Any] | None = None
    then: Steps | None = None


def result_key(key: str) -> Callable[[Any], Any]:
    """A Remote `result` converter: the `key` of a task's dict answer as the call's value (any other answer as is)."""
    return lambda result: result.get(key) if isinstance(result, dict) else result


Function = Local | Steps | Remote


class Module:
    """A named set of values and functions a host exposes to scripts as `name.value` and `name.fn()`."""

    def __init__(self, name: str):
        self.name = name
        self.values: dict[str, Value] = {}
        self.functions: dict[str, Function] = {}

    def add_value(self, name: str, getter=None, setter=None) -> None:
        """Export a value; give a getter to make it readable and a setter to make it writable."""
        if getter is None and setter is None:
            raise ValueError("a value needs a getter, a setter or both")
        self.values[name] = Value(getter, setter)

    def add_function(self, name: str, function: Function | Callable[..., Any]) -> None:
        """Export a function; a plain callable is a one-step `Local` function."""
        if not isinstance(function, (Local, Steps, Remote)):
            function = Local(function)
        self.functions[name] = function

    def local(self, name: str | None = None):
        """Decorator form of `add_function` for one-step local functions."""

        def register(fn):
            self.add_function(name or fn.__name__, Local(fn))
            return fn

        return register

    def get(self, name: str):
        """Read a value; write-only values refuse."""
        value = self._value(name)
        if value.getter is None:
            raise OperandError(f"{self.name}.{name} is write-only")
        return value.getter()

    def set(self, name: str, new) -> None:
        """Write a value; read-only values refuse."""
        value = self._value(name)
        if value.setter is None:
            raise OperandError(f"{self.name}.{name} is read-only")
        value.setter(new)

    def function(self, name: str) -> Function:
        """A registered function; unknown names are not defined."""
        try:
            return self.functions[name]
        except KeyError:
            raise NotDefinedError(f"Module '{self.name}' has no function '{name}'") from None

    def _value(self, name: str) -> Value:
        try:
            return self.values[name]
        except KeyError:
            raise NotDefinedError(f"Module '{self.name}' has no value '{name}'") from None


def as_registry(modules) -> dict[str, Module]:
    """Accept modules as a dict by name or an iterable of Module objects."""
    if modules is None:
        return {}
    if isinstance(modules, dict):
        return dict(modules)
    return {module.name: module for module in modules}


def call_with(fn: Callable[..., Any], params: dict, what: str):
    """Call a host callable with keyword arguments, reporting a signature mismatch as a bad parameter."""
    try:
        inspect.signature(fn).bind(**params)
    except TypeError as exc:
        raise ParameterError(f"{what}(): {exc}") from None
    except ValueError:  # builtins without a signature: let the call itself decide
        pass
    return fn(**params)


Description = dict[str, dict[str, list[str] | None] | None]


def describe(modules) -> Description:
    """What `check` needs to know of modules, as JSON: module -> {function -> its parameter names}.

    `modules` is a description already (returned as is), Module objects, or module names. A module
    mapped to None exists but its functions are not known (nothing is checked inside it); a
    function mapped to None takes any keyword argument.
    """
    if isinstance(modules, dict) and all(isinstance(v, (dict, type(None))) for v in modules.values()):
        return modules
    found: Description = {}
    for module in modules.values() if isinstance(modules, dict) else modules:
        if isinstance(module, str):
            found[module] = None
        else:
            found[module.name] = {name: parameters(fn) for name, fn in module.functions.items()}
    return found


def parameters(function: Function | Callable[..., Any]) -> list[str] | None:
    """The keyword arguments a module function takes, or None when it takes any (or cannot be known)."""
    target: Callable[..., Any] | None
    if isinstance(function, Local):
        target = function.fn
    elif isinstance(function, Steps):
        target = function.start
    elif isinstance(function, Remote):
        target = function.task
    else:
        target = function
    if target is None:
        return None  # a Remote without `task` sends the call's arguments as they are
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [name for name, p in signature.parameters.items() if p.kind in keyword]
