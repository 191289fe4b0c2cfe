"""The TScript runner: executes a compiled script step by step; its whole state is JSON."""

from __future__ import annotations

import json
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from .calls import Calls
from .compiler import compile_source
from .errors import (
    RESUMABLE_KINDS,
    BudgetSpent,
    NotAllowedError,
    NotDefinedError,
    StaleCookieError,
    StateError,
    StateTooLargeError,
    TScriptError,
    UnexpectedError,
)
from .fused import bind
from .machine import Done, Stop, link
from .modules import Module, as_registry
from .outcome import Outcome
from .parser import source_hash
from .values import check_value, copy, decode, encode, to_plain

STATE_VERSION = 1
DEFAULT_MAX_STEPS = 1_000_000
#: The largest state `state()` produces, in bytes of JSON: a job's state is saved at every step, so a script
#: whose variables grow without bound must fail with a clear error rather than fill the database.
MAX_STATE_BYTES = 1_048_576
#: Statuses after which run() does nothing until the host acts (resume, reset) or ever again.
_BLOCKED = frozenset({"done", "aborted", "paused", "error"})


class Runner:
    """Runs one script. Create it fresh or from a saved `state()`; call `run()` once per job step.

    `modules` are the host modules (a list of `Module` or a dict by name); `clock` returns the time
    in seconds (default `time.time`), so hosts and tests control delays and `max_time`;
    `cookie_factory` makes remote task cookies (default: random hex).
    """

    def __init__(
        self,
        source: str,
        modules: list[Module] | dict[str, Module] | None = None,
        state: dict | None = None,
        *,
        clock: Callable[[], float] | None = None,
        cookie_factory: Callable[[], str] | None = None,
        max_state_bytes: int = MAX_STATE_BYTES,
    ):
        self.source = source
        self.max_state_bytes = max_state_bytes
        self.code = compile_source(source)
        self.modules = as_registry(modules)
        self.clock = clock or time.time
        self.new_cookie = cookie_factory or (lambda: uuid.uuid4().hex)
        self.vars: dict[str, Any] = {}
        self.stack: list = []
        self.frames: list[list] = []
        self.pc = 0
        self.call: dict | None = None
        self.status = "ready"
        self.outcome = Outcome("ready")
        self.grace = False
        self._line = 1
        #: instructions run by this object so far (not saved with the state): lets a host cap a whole run
        self.executed = 0
        #: starts, continues and completes the calls that end a step (pause, delay, module functions)
        self.calls = Calls(self)
        self.instructions = link(self.code, self)
        #: by pc, the generated Python of a loop that starts there (tscript.fused), or None
        self.loops, self._loop_box = bind(self.code, self)
        if state is not None:
            self._restore(state)

    @classmethod
    def from_state(cls, source: str, state: dict | str, modules=None, **options) -> Runner:
        """A runner continuing from `state` (a dict or its JSON text); raises StateError if it does not fit."""
        return cls(source, modules, json.loads(state) if isinstance(state, str) else state, **options)

    # running

    def run(self, max_steps: int = DEFAULT_MAX_STEPS) -> Outcome:
        """Run until the step ends, executing at most `max_steps` instructions; never raises for script errors."""
        if self.status in _BLOCKED:
            return self.outcome
        if not self.frames:
            self.frames.append([0, self.clock(), 0])
        try:
            self._check_max_time()
            if self.call is not None:
                self.calls.resume()
            self._execute(max_steps)
            self.pc = min(self.pc, len(self.instructions) - 1)
            error = BudgetSpent(f"Step budget spent ({max_steps} instructions)")
            return self._stopped_by_error(error.at(*self.position(self.pc)))
        except Stop as stop:
            self.pc = stop.pc
            return self.finish(stop.outcome)
        except Done:
            return self.finish(Outcome("done", "Done", line=self.position(self.pc)[0]))
        except TScriptError as error:
            return self._stopped_by_error(error.at(*self.position(self.pc)))
        except Exception as exc:  # noqa: BLE001 - a module or a bug: abort the job, do not crash the host
            unexpected = UnexpectedError(f"Unexpected error: {type(exc).__name__}: {exc}")
            return self._stopped_by_error(unexpected.at(*self.position(self.pc)))

    def _execute(self, budget: int) -> None:
        code, loops, box, pc = self.instructions, self.loops, self._loop_box, self.pc
        ran = 0  # instructions run, the one that raised included
        try:
            while ran < budget:
                loop = loops[pc]
                if loop is not None:
                    try:
                        pc, used = loop(budget - ran)
                    except BaseException:
                        pc, used = box  # the statement that failed, and what ran before it
                        ran += used
                        raise
                    if used:
                        ran += used
                        continue
                ran += 1  # one instruction: none is a loop, or too little budget is left for the loop's next run
                pc = code[pc]()
        finally:
            self.pc = pc
            self.executed += ran

    def _check_max_time(self) -> None:
        if self.grace:
            self.grace = False
            return
        now = self.clock()
        for block, started, _entry in self.frames:
            limit = self.code.blocks[block].max_time
            if limit is not None and now - started > limit:
                raise Stop(Outcome("paused", "Max Time Elapsed", line=self.line), self.pc)

    def _stopped_by_error(self, error: TScriptError) -> Outcome:
        status = "error" if error.kind in RESUMABLE_KINDS else "aborted"
        return self.finish(Outcome(status, error.message, error.to_dict(), line=error.line))

    def finish(self, outcome: Outcome) -> Outcome:
        """End the step with `outcome`: it becomes the status, and its line the script's line."""
        self.status, self.outcome = outcome.status, outcome
        if outcome.line is not None:
            self._line = outcome.line
        return outcome

    def position(self, pc: int) -> tuple[int, int]:
        """Line and column of the instruction at `pc` (the last one past the end)."""
        ins = self.code.instructions[min(pc, len(self.code.instructions) - 1)]
        return ins[1], ins[2]

    # the host's controls

    def resume(self) -> None:
        """Continue a paused script; a pause() call returns none. The next step skips the max_time check."""
        if self.status != "paused":
            raise NotAllowedError(f"Only a paused script can be resumed (this one is {self.status})")
        if self.call is not None and self.call["type"] == "pause":
            self.calls.finish(None)
        self.grace = True
        self.finish(Outcome("ready"))

    def reset(self) -> None:
        """Continue after a resumable error: error() returns none, a failed remote task is re-dispatched."""
        if self.status != "error":
            raise NotAllowedError(f"Only a script in error can be reset (this one is {self.status})")
        call = self.call
        if call is not None and call["type"] == "error":
            self.calls.finish(None)
        elif call is not None and call["type"] == "remote":
            try:
                self.calls.redispatch(call)
            except TScriptError as error:  # building the task failed again: the script stays in error
                raise NotAllowedError(f"The task cannot be sent again: {error.message}") from None
        self.finish(Outcome("ready"))

    # the host's side of remote calls

    def provide_result(self, cookie: str, value: Any) -> None:
        """The result of the current remote task; a stale cookie raises StaleCookieError."""
        self.calls.provide_result(cookie, value)

    def provide_error(self, cookie: str, message: str) -> None:
        """The current remote task failed; the next step ends in a resumable error."""
        self.calls.provide_error(cookie, message)

    def rollback(self) -> None:
        """After a remote task failed: dispatch its rollback task (new cookie), then the task again."""
        self.calls.rollback()

    # views

    @property
    def line(self) -> int:
        """The line the script is at (where it stopped or failed)."""
        return self._line

    @property
    def variables(self) -> dict:
        """The script's variables as plain JSON (durations as seconds)."""
        return to_plain(self.vars)

    @property
    def delay_until(self) -> float | None:
        """When the delay() the script waits on ends (clock seconds), if it waits on one."""
        return self.call["until"] if self.call is not None and self.call["type"] == "delay" else None

    @property
    def task(self) -> dict | None:
        """The remote task the script waits on, if any."""
        return self.outcome.task if self.status == "waiting" else None

    def progress(self) -> list[dict]:
        """Progress from the outermost block inward: percent, kind, description, elapsed, remaining."""
        if self.status == "done":
            root = self.code.blocks[0]
            return [_level("scope", root.description, 100.0, None, None)]
        now, found = self.clock(), []
        for depth, (block, started, _entry) in enumerate(self.frames):
            position = self.frames[depth + 1][2] if depth + 1 < len(self.frames) else self.pc
            info = self.code.blocks[block]
            elapsed = max(now - started, 0.0)
            remaining = max(info.expected_time - elapsed, 0.0) if info.expected_time is not None else None
            found.append(_level(info.kind, info.description, _percent(info, position), elapsed, remaining))
        if self.call is not None and self.call["type"] in ("delay", "steps", "remote"):
            found.append(self.calls.progress(now))
        return found

    # modules

    def module(self, name: str) -> Module:
        """A registered module; unknown names are not defined."""
        try:
            return self.modules[name]
        except KeyError:
            raise NotDefinedError(f"Module '{name}' is not defined") from None

    def read_module(self, module: str, name: str):
        """Read `module.name` for the script (a copy, checked to be a TScript value)."""
        return copy(check_value(self.module(module).get(name), f"value of {module}.{name}"))

    def write_module(self, module: str, name: str, value) -> None:
        """Write `module.name` for the script."""
        self.module(module).set(name, value)

    # state

    def state(self) -> dict:
        """The complete state as JSON-serialisable data, versioned and tied to the source by its hash.

        Raises StateTooLargeError when its JSON is longer than `max_state_bytes`.
        """
        state = {
            "version": STATE_VERSION,
            "source_hash": source_hash(self.source),
            "status": self.status,
            "outcome": self.outcome.to_dict(),
            "pc": self.pc,
            "variables": encode(self.vars),
            "stack": encode(self.stack),
            "frames": [list(frame) for frame in self.frames],
            "call": self.call,
            "grace": self.grace,
            "line": self._line,
        }
        size = len(json.dumps(state))  # ASCII (non-ASCII text is escaped), so characters are bytes
        if size > self.max_state_bytes:
            raise StateTooLargeError(
                f"The script's state would be {size:,} bytes of JSON, over the limit of {self.max_state_bytes:,} "
                f"(line {self._line}: its variables or values on the stack hold too much)"
            )
        return state

    def _restore(self, state: dict) -> None:
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise StateError(f"Unsupported state version {state.get('version') if isinstance(state, dict) else None!r}")
        if state.get("source_hash") != source_hash(self.source):
            raise StateError("The state was saved from a different script (source hash differs)")
        try:
            self.vars.update(decode(state["variables"]))
            self.stack.extend(decode(state["stack"]))
            self.frames.extend([int(b), float(t), int(p)] for b, t, p in state["frames"])
            self.pc, self.call, self.grace = int(state["pc"]), state["call"], bool(state["grace"])
            self.status, self.outcome = state["status"], Outcome.from_dict(state["outcome"])
            self._line = int(state["line"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"Malformed state: {exc!r}") from None
        if not 0 <= self.pc < len(self.instructions):
            raise StateError(f"Malformed state: pc {self.pc} out of range")


def _percent(info, position: int) -> float | None:
    if info.kind != "scope" or not info.starts:
        return None
    done = max(bisect_right(info.starts, position) - 1, 0)
    return round(100.0 * done / len(info.starts), 1)


def _level(kind, description, percent, elapsed, remaining) -> dict:
    return {"kind": kind, "description": description, "percent": percent, "elapsed": elapsed, "remaining": remaining}


__all__ = ["DEFAULT_MAX_STEPS", "MAX_STATE_BYTES", "Outcome", "Runner", "StaleCookieError"]
