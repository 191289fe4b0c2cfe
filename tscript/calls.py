"""Calls that end a step: pause, error, message, delay and module functions (local, multi-step, remote)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from . import nodes as n
from .builtins import STOPPING, delay_seconds, message_text
from .errors import (
    RESUMABLE_KINDS,
    FatalError,
    NotAllowedError,
    RemoteError,
    ScriptError,
    StaleCookieError,
    TScriptError,
)
from .machine import Stop
from .modules import Local, Module, Remote, Steps, call_with
from .outcome import Outcome
from .values import check_value, copy, decode, encode


class CallHost(Protocol):
    """What `Calls` reads and writes on the runner that owns it."""

    stack: list
    pc: int
    status: str
    call: dict | None
    clock: Callable[[], float]
    new_cookie: Callable[[], str]

    def module(self, name: str) -> Module: ...

    def position(self, pc: int) -> tuple[int, int]: ...

    def finish(self, outcome: Outcome) -> Outcome: ...


class Calls:
    """The part of a runner that starts, continues and completes stopping calls.

    `host.call` records the call in progress as JSON: its `type` (pause, error, delay, steps or
    remote) plus what continuing it needs, so a step can end in the middle of one and the next
    step, maybe in another process, picks it up. The record lives on the host, with the rest of
    the state that `Runner.state()` saves; this object holds no state of its own.
    """

    def __init__(self, host: CallHost):
        self.host = host

    @property
    def call(self) -> dict:
        """The call in progress (only asked for while there is one)."""
        call = self.host.call
        assert call is not None, "no call in progress"
        return call

    def start(self, node: n.Call, params: dict, pc: int) -> int:
        """Run a stopping call at instruction `pc`; returns the next pc or raises Stop."""
        host = self.host
        if node.module is None:
            return self._builtin(node, STOPPING[node.name].bind(params), pc)
        function = host.module(node.module).function(node.name)
        where = f"{node.module}.{node.name}"
        if isinstance(function, Local):
            host.stack.append(copy(check_value(call_with(function.fn, params, where), f"result of {where}")))
            return pc + 1
        record = {"module": node.module, "function": node.name, "started": host.clock()}
        if isinstance(function, Steps):
            host.call = {"type": "steps", **record, "state": call_with(function.start, params, where)}
            host.pc = pc + 1
            self._advance_steps(function)
            return pc + 1
        call = {"type": "remote", **record, "phase": "run", "params": encode(check_value(params, "argument"))}
        host.call, host.pc = call, pc + 1
        try:
            self._dispatch(call, function, "run")
        except TScriptError as error:
            # The task could not be built (no room for a VM, say): the call stops as a failed task does, past
            # its arguments, so that reset() builds the task again from the parameters kept in the record.
            error.at(*host.position(pc))
            status = "error" if error.kind in RESUMABLE_KINDS else "aborted"
            raise Stop(Outcome(status, error.message, error=error.to_dict(), line=error.line), pc + 1) from None
        raise Stop(self._waiting_on_task(), pc + 1)

    def _builtin(self, node: n.Call, args: dict, pc: int) -> int:
        host, name, line = self.host, node.name, node.line
        if name == "delay":
            seconds = delay_seconds(args)
            now = host.clock()
            host.call = {"type": "delay", "started": now, "until": now + seconds}
            raise Stop(Outcome("waiting", f"Waiting for {seconds} more seconds", line=line), pc + 1)
        text = message_text(name, args)
        if name == "message":
            host.stack.append(None)
            raise Stop(Outcome("yielded", text, line=line), pc + 1)
        if name == "fatal_error":
            raise FatalError(text)
        host.call = {"type": name}
        if name == "pause":
            raise Stop(Outcome("paused", text, line=line), pc + 1)
        error = ScriptError(text, line, node.column)
        raise Stop(Outcome("error", text, error=error.to_dict(), line=line), pc + 1)

    def resume(self) -> None:
        """At the start of a step: finish the pending call (pushing its value) or raise Stop again."""
        call = self.call
        kind = call["type"]
        if kind == "delay":
            remaining = call["until"] - self.host.clock()
            if remaining > 0:
                message = f"Waiting for {math.floor(remaining)} more seconds"
                raise Stop(Outcome("waiting", message, line=self._call_line()), self.host.pc)
            self.finish(None)
        elif kind == "steps":
            self._advance_steps(self._steps(call))
        elif kind == "remote":
            self._continue_remote(call)
        else:  # a pause or error the host moved past without resume()/reset(): the call returns none
            self.finish(None)

    def finish(self, value: Any) -> None:
        """The pending call returns `value`: it goes on the stack and the call record is dropped."""
        self.host.stack.append(value)
        self.host.call = None

    def _advance_steps(self, function: Steps) -> None:
        call = self.call
        result = function.step(call["state"])
        if not result.done:
            call["state"] = result.state
            raise Stop(Outcome("yielded", result.message, line=self._call_line()), self.host.pc)
        where = f"{call['module']}.{call['function']}"
        self.finish(copy(check_value(result.value, f"result of {where}")))

    def _continue_remote(self, call: dict) -> None:
        pc = self.host.pc
        if "failure" in call:
            error = RemoteError(call["failure"], *self.host.position(pc - 1)).to_dict()
            raise Stop(Outcome("error", call["failure"], error=error, line=error["line"]), pc)
        if "result" not in call:
            raise Stop(self._waiting_on_task(), pc)
        function = self._function(call, Remote)
        if call["phase"] == "rollback":
            self._dispatch(call, function, "run")
            raise Stop(self._waiting_on_task(), pc)
        value = decode(call["result"])
        if function.result is not None:
            value = check_value(function.result(value), "task result")
        if function.then is None:
            self.finish(value)
            return
        # The call goes on as the Steps that follow the task; its record says so ("then"), to find them again.
        where = f"{call['module']}.{call['function']}"
        state = call_with(function.then.start, {"result": value}, where)
        self.host.call = {"type": "steps", "module": call["module"], "function": call["function"],
                          "started": call["started"], "then": True, "state": state}  # fmt: skip
        self._advance_steps(function.then)

    def _dispatch(self, call: dict, function: Remote, phase: str) -> None:
        params = decode(call["params"])
        if phase == "run":
            name = function.function or call["function"]
            parameters = call_with(function.task, params, name) if function.task else params
        else:
            name = function.rollback_function or f"rollback_{call['function']}"
            parameters = call_with(function.rollback, params, name) if function.rollback else params
        call.pop("result", None)
        call.pop("failure", None)
        call.update(phase=phase, cookie=self.host.new_cookie(), task_function=name)
        call["parameters"] = encode(check_value(parameters, "task parameter"))

    def _waiting_on_task(self) -> Outcome:
        call = self.call
        task = {"module": call["module"], "function": call["task_function"],
                "parameters": decode(call["parameters"]), "cookie": call["cookie"]}  # fmt: skip
        what = "rollback of " if call["phase"] == "rollback" else ""
        message = f"Waiting for {what}{call['module']}.{call['function']}"
        return Outcome("waiting", message, task=task, line=self._call_line())

    def _call_line(self) -> int:
        """The line of the call in progress: the instruction before pc (a call resumes just past itself)."""
        return self.host.position(self.host.pc - 1)[0]

    def _steps(self, call: dict) -> Steps:
        """The Steps a steps call continues: the function's own, or those following its Remote's task."""
        if not call.get("then"):
            return self._function(call, Steps)
        then = self._function(call, Remote).then
        if then is None:  # the module changed between steps
            raise NotAllowedError(f"{call['module']}.{call['function']} no longer goes on after its task")
        return then

    def _function(self, call: dict, kind: type[_F]) -> _F:
        function = self.host.module(call["module"]).function(call["function"])
        if not isinstance(function, kind):  # the module changed between steps
            raise NotAllowedError(f"{call['module']}.{call['function']} is no longer a {kind.__name__} function")
        return function

    def redispatch(self, call: dict) -> None:
        """Send the current remote task (or rollback task) again under a new cookie."""
        self._dispatch(call, self._function(call, Remote), call["phase"])

    # the host's side of remote calls

    def provide_result(self, cookie: str, value: Any) -> None:
        """The result of the current remote task; a stale cookie raises StaleCookieError."""
        call = self._current_task(cookie)
        call["result"] = encode(check_value(value, "task result"))

    def provide_error(self, cookie: str, message: str) -> None:
        """The current remote task failed; the next step ends in a resumable error."""
        call = self._current_task(cookie)
        call["failure"] = str(message)

    def rollback(self) -> None:
        """After a remote task failed: dispatch its rollback task (new cookie), then the task again."""
        call = self.host.call
        if self.host.status != "error" or call is None or call["type"] != "remote":
            raise NotAllowedError("Only a failed remote call can be rolled back")
        function = self._function(call, Remote)
        if function.rollback is None:
            raise NotAllowedError(f"{call['module']}.{call['function']} does not allow rollback")
        self._dispatch(call, function, "rollback")
        self.host.finish(Outcome("ready", ""))

    def _current_task(self, cookie: str) -> dict:
        call = self.host.call
        if call is None or call["type"] != "remote" or call["cookie"] != cookie:
            raise StaleCookieError(f"Cookie {cookie!r} is not the current task's cookie")
        if "result" in call or "failure" in call:
            raise StaleCookieError(f"The task with cookie {cookie!r} already has its answer")
        if self.host.status in ("done", "aborted"):
            raise NotAllowedError(f"The script is {self.host.status}")
        return call

    def progress(self, now: float) -> dict:
        """The progress level of the pending call."""
        call = self.call
        if call["type"] == "delay":
            description, remaining = "delay", max(call["until"] - now, 0.0)
        else:
            description, remaining = f"{call['module']}.{call['function']}", None
        elapsed = max(now - call["started"], 0.0)
        return {"kind": "function", "description": description, "percent": None, "elapsed": elapsed,
                "remaining": remaining}  # fmt: skip


_F = TypeVar("_F", Steps, Remote)
