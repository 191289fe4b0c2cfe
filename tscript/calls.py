"""Calls that end a step: pause, error, message, delay and module functions (local, multi-step, remote)."""

from __future__ import annotations

import math

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
from .modules import Local, Remote, Steps, call_with
from .values import check_value, copy, decode, encode


class CallsMixin:
    """The runner's half that starts, continues and completes stopping calls.

    `self.call` records the call in progress as JSON: its `type` (pause, error, delay, steps or
    remote) plus what continuing it needs, so a step can end in the middle of one and the next
    step, maybe in another process, picks it up.
    """

    def start_call(self, node, params: dict, pc: int) -> int:
        """Run a stopping call at instruction `pc`; returns the next pc or raises Stop."""
        if node.module is None:
            return self._builtin(node, STOPPING[node.name].bind(params), pc)
        function = self.module(node.module).function(node.name)
        where = f"{node.module}.{node.name}"
        if isinstance(function, Local):
            self.stack.append(copy(check_value(call_with(function.fn, params, where), f"result of {where}")))
            return pc + 1
        record = {"module": node.module, "function": node.name, "started": self.clock()}
        if isinstance(function, Steps):
            self.call = {"type": "steps", **record, "state": call_with(function.start, params, where)}
            self.pc = pc + 1
            self._advance_steps(function)
            return pc + 1
        self.call = {"type": "remote", **record, "phase": "run", "params": encode(check_value(params, "argument"))}
        self.pc = pc + 1
        try:
            self._dispatch(self.call, function, "run")
        except TScriptError as error:
            # The task could not be built (no room for a VM, say): the call stops as a failed task does, past
            # its arguments, so that reset() builds the task again from the parameters kept in the record.
            error.at(*self._position(pc))
            status = "error" if error.kind in RESUMABLE_KINDS else "aborted"
            raise Stop(self._outcome(status, error.message, error=error.to_dict(), line=error.line), pc + 1) from None
        raise Stop(self._waiting_on_task(), pc + 1)

    def _builtin(self, node, args: dict, pc: int) -> int:
        name, line = node.name, node.line
        if name == "delay":
            seconds = delay_seconds(args)
            now = self.clock()
            self.call = {"type": "delay", "started": now, "until": now + seconds}
            raise Stop(self._outcome("waiting", f"Waiting for {seconds} more seconds", line=line), pc + 1)
        text = message_text(name, args)
        if name == "message":
            self.stack.append(None)
            raise Stop(self._outcome("yielded", text, line=line), pc + 1)
        if name == "fatal_error":
            raise FatalError(text)
        self.call = {"type": name}
        if name == "pause":
            raise Stop(self._outcome("paused", text, line=line), pc + 1)
        error = ScriptError(text, line, node.column)
        raise Stop(self._outcome("error", text, error=error.to_dict(), line=line), pc + 1)

    def continue_call(self) -> None:
        """At the start of a step: finish the pending call (pushing its value) or raise Stop again."""
        call = self.call
        kind = call["type"]
        if kind == "delay":
            remaining = call["until"] - self.clock()
            if remaining > 0:
                message = f"Waiting for {math.floor(remaining)} more seconds"
                raise Stop(self._outcome("waiting", message, line=self._call_line()), self.pc)
            self._return(None)
        elif kind == "steps":
            self._advance_steps(self._function(call))
        elif kind == "remote":
            self._continue_remote(call)
        else:  # a pause or error the host moved past without resume()/reset(): the call returns none
            self._return(None)

    def _advance_steps(self, function: Steps) -> None:
        result = function.step(self.call["state"])
        if not result.done:
            self.call["state"] = result.state
            raise Stop(self._outcome("yielded", result.message, line=self._call_line()), self.pc)
        where = f"{self.call['module']}.{self.call['function']}"
        self._return(copy(check_value(result.value, f"result of {where}")))

    def _continue_remote(self, call: dict) -> None:
        if "failure" in call:
            error = RemoteError(call["failure"], *self._position(self.pc - 1)).to_dict()
            raise Stop(self._outcome("error", call["failure"], error=error, line=error["line"]), self.pc)
        if "result" not in call:
            raise Stop(self._waiting_on_task(), self.pc)
        function = self._function(call)
        if call["phase"] == "rollback":
            self._dispatch(call, function, "run")
            raise Stop(self._waiting_on_task(), self.pc)
        value = decode(call["result"])
        if function.result is not None:
            value = check_value(function.result(value), "task result")
        self._return(value)

    def _dispatch(self, call: dict, function: Remote, phase: str) -> None:
        params = decode(call["params"])
        if phase == "run":
            name = function.function or call["function"]
            parameters = call_with(function.task, params, name) if function.task else params
        else:
            name = function.rollback_function or f"rollback_{call['function']}"
            parameters = call_with(function.rollback, params, name)
        call.pop("result", None)
        call.pop("failure", None)
        call.update(phase=phase, cookie=self.new_cookie(), task_function=name)
        call["parameters"] = encode(check_value(parameters, "task parameter"))

    def _waiting_on_task(self):
        call = self.call
        task = {"module": call["module"], "function": call["task_function"],
                "parameters": decode(call["parameters"]), "cookie": call["cookie"]}  # fmt: skip
        what = "rollback of " if call["phase"] == "rollback" else ""
        message = f"Waiting for {what}{call['module']}.{call['function']}"
        return self._outcome("waiting", message, task=task, line=self._call_line())

    def _call_line(self) -> int:
        """The line of the call in progress: the instruction before pc (a call resumes just past itself)."""
        return self._position(self.pc - 1)[0]

    def _function(self, call: dict):
        return self.module(call["module"]).function(call["function"])

    def _outcome(self, status: str, message: str, **extra):
        from .runner import Outcome

        return Outcome(status, message, **extra)

    def redispatch(self, call: dict) -> None:
        """Send the current remote task (or rollback task) again under a new cookie."""
        self._dispatch(call, self._function(call), call["phase"])

    # the host's side of remote calls

    def provide_result(self, cookie: str, value) -> None:
        """The result of the current remote task; a stale cookie raises StaleCookieError."""
        call = self._current_task(cookie)
        call["result"] = encode(check_value(value, "task result"))

    def provide_error(self, cookie: str, message: str) -> None:
        """The current remote task failed; the next step ends in a resumable error."""
        call = self._current_task(cookie)
        call["failure"] = str(message)

    def rollback(self) -> None:
        """After a remote task failed: dispatch its rollback task (new cookie), then the task again."""
        call = self.call
        if self.status != "error" or call is None or call["type"] != "remote":
            raise NotAllowedError("Only a failed remote call can be rolled back")
        function = self._function(call)
        if function.rollback is None:
            raise NotAllowedError(f"{call['module']}.{call['function']} does not allow rollback")
        self._dispatch(call, function, "rollback")
        self._finish(self._outcome("ready", ""))

    def _current_task(self, cookie: str) -> dict:
        call = self.call
        if call is None or call["type"] != "remote" or call["cookie"] != cookie:
            raise StaleCookieError(f"Cookie {cookie!r} is not the current task's cookie")
        if "result" in call or "failure" in call:
            raise StaleCookieError(f"The task with cookie {cookie!r} already has its answer")
        if self.status in ("done", "aborted"):
            raise NotAllowedError(f"The script is {self.status}")
        return call

    def call_progress(self, now: float) -> dict:
        """The progress level of the pending call."""
        call = self.call
        if call["type"] == "delay":
            description, remaining = "delay", max(call["until"] - now, 0.0)
        else:
            description, remaining = f"{call['module']}.{call['function']}", None
        elapsed = max(now - call["started"], 0.0)
        return {"kind": "function", "description": description, "percent": None, "elapsed": elapsed,
                "remaining": remaining}  # fmt: skip
