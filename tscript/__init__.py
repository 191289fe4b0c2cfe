"""TScript: the resumable scripting language of Contractor blueprints (pure Python, no Django)."""

from .errors import (
    BudgetSpent,
    Diagnostic,
    FatalError,
    HostError,
    NotAllowedError,
    NotDefinedError,
    OperandError,
    ParameterError,
    RemoteError,
    ScriptError,
    StaleCookieError,
    StateError,
    StateTooLargeError,
    TScriptError,
    TScriptSyntaxError,
    UnexpectedError,
)
from .modules import Local, Module, Remote, Step, Steps, Value, result_key
from .outcome import Outcome
from .parser import check, parse, source_hash
from .runner import DEFAULT_MAX_STEPS, MAX_STATE_BYTES, STATE_VERSION, Runner

__all__ = [
    "DEFAULT_MAX_STEPS",
    "MAX_STATE_BYTES",
    "STATE_VERSION",
    "BudgetSpent",
    "Diagnostic",
    "FatalError",
    "HostError",
    "Local",
    "Module",
    "NotAllowedError",
    "NotDefinedError",
    "OperandError",
    "Outcome",
    "ParameterError",
    "Remote",
    "RemoteError",
    "Runner",
    "ScriptError",
    "StaleCookieError",
    "StateError",
    "StateTooLargeError",
    "Step",
    "Steps",
    "TScriptError",
    "TScriptSyntaxError",
    "UnexpectedError",
    "Value",
    "result_key",
    "check",
    "parse",
    "source_hash",
]
