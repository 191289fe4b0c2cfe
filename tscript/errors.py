"""Errors raised by TScript: script errors with a kind and position, and host-API misuse errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class TScriptError(Exception):
    """An error in a script; `kind` names the category, `line`/`column` where it happened."""

    kind = "unexpected"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def at(self, line: int | None, column: int | None) -> TScriptError:
        """Fill in the position if it is not known yet; returns self for `raise err.at(...)`."""
        if self.line is None:
            self.line, self.column = line, column
        return self

    def to_dict(self) -> dict:
        """The JSON form used in outcomes and state."""
        return {"kind": self.kind, "message": self.message, "line": self.line, "column": self.column}

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


class TScriptSyntaxError(TScriptError):
    """The script does not parse; `diagnostic` holds the offending line and a caret line."""

    kind = "syntax"

    def __init__(self, message: str, line: int | None = None, column: int | None = None, source: str = ""):
        super().__init__(message, line, column)
        self.diagnostic = Diagnostic.make(message, line or 1, column or 1, source)

    def __str__(self) -> str:
        return self.diagnostic.render()


class NotDefinedError(TScriptError):
    """A variable, index, key, module, value, function or label that does not exist."""

    kind = "not_defined"


class ParameterError(TScriptError):
    """A bad argument to a builtin or module function."""

    kind = "bad_parameter"


class OperandError(TScriptError):
    """An operator applied to values it does not take."""

    kind = "bad_operand"


class FatalError(TScriptError):
    """Raised by `fatal_error()`."""

    kind = "fatal"


class ScriptError(TScriptError):
    """Raised by `error()`; resumable with `reset()`."""

    kind = "script_error"


class RemoteError(TScriptError):
    """A remote task failed; resumable with `reset()` (re-dispatch) or `rollback()`."""

    kind = "remote"


class BudgetSpent(TScriptError):
    """A step used its whole instruction budget; resumable with `reset()`."""

    kind = "timeout"


class UnexpectedError(TScriptError):
    """Anything else that went wrong while running, such as a module raising a Python exception."""

    kind = "unexpected"


#: Error kinds after which `reset()` continues the script; all others abort it.
RESUMABLE_KINDS = frozenset({ScriptError.kind, RemoteError.kind, BudgetSpent.kind})


class HostError(Exception):
    """The host used the runner API wrongly (not an error in the script)."""


class StateError(HostError):
    """A saved state cannot be restored: wrong version, other source, or malformed."""


class StateTooLargeError(HostError):
    """`Runner.state()` would be larger than the runner's `max_state_bytes`."""


class StaleCookieError(HostError):
    """A remote result or error arrived with a cookie that is not the current one."""


class NotAllowedError(HostError):
    """The runner is not in a status where this operation makes sense (e.g. resume when not paused)."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in a script, ready to show: position, message, the line and a caret under it."""

    line: int
    column: int
    message: str
    source_line: str
    caret: str
    severity: str = "error"

    @classmethod
    def make(cls, message: str, line: int, column: int, source: str, severity: str = "error") -> Diagnostic:
        """Build a diagnostic, cutting the offending line out of `source`."""
        lines = source.splitlines() or [""]
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        prefix = "".join(ch if ch == "\t" else " " for ch in text[: max(column - 1, 0)])
        return cls(line, column, message, text, prefix + "^", severity)

    def render(self, filename: str | None = None) -> str:
        """`FILE:LINE:COLUMN: message`, then the line and the caret."""
        where = f"{filename}:{self.line}:{self.column}" if filename else f"line {self.line}, column {self.column}"
        return f"{where}: {self.message}\n{self.source_line}\n{self.caret}"

    def to_dict(self) -> dict:
        """The JSON form for the API."""
        return asdict(self)

    def __str__(self) -> str:
        return self.render()
