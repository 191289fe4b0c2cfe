"""How a step of a script ended: the value `Runner.run()` returns and the state keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Outcome:
    """How a step ended.

    `status` is one of done, yielded (a message, then continues), waiting (on a remote task or a
    delay), paused, error (resumable with reset) or aborted (never runs again). `task` is the
    remote task to dispatch when waiting on one; `error` has kind, message, line and column.
    """

    status: str
    message: str = ""
    error: dict | None = None
    task: dict | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        """JSON form."""
        return {"status": self.status, "message": self.message, "error": self.error, "task": self.task,
                "line": self.line}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Outcome:
        """Inverse of to_dict."""
        return cls(data["status"], data["message"], data["error"], data["task"], data["line"])
