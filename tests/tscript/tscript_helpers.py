"""Helpers for the TScript tests: a controllable clock and a driver that runs a script to its end."""

from __future__ import annotations

from tscript import Runner


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def drive(runner: Runner, clock: Clock | None = None, answer=None, limit: int = 500) -> list[dict]:
    """Run to done/aborted: resume pauses, reset errors, wait out delays, answer remote tasks.

    `answer(task)` returns the task's result; returning an Exception instance fails the task instead.
    Returns every step's outcome as a dict.
    """
    outcomes = []
    for _ in range(limit):
        outcome = runner.run()
        outcomes.append(outcome.to_dict())
        if outcome.status in ("done", "aborted"):
            return outcomes
        react(runner, outcome, clock, answer)
    raise AssertionError(f"script did not finish in {limit} steps: {outcomes[-3:]}")


def react(runner: Runner, outcome, clock: Clock | None, answer) -> None:
    """What a host does after one step."""
    if outcome.status == "paused":
        runner.resume()
    elif outcome.status == "error":
        runner.reset()
    elif outcome.status == "waiting" and outcome.task is not None:
        result = answer(outcome.task)
        if isinstance(result, Exception):
            runner.provide_error(outcome.task["cookie"], str(result))
        else:
            runner.provide_result(outcome.task["cookie"], result)
    elif outcome.status == "waiting" and clock is not None:
        clock.advance(runner.delay_until - clock())


def run(source: str, **options) -> Runner:
    """Run `source` to its end with the builtins only and return the runner."""
    clock = options.pop("clock", None) or Clock()
    runner = Runner(source, clock=clock, **options)
    drive(runner, clock)
    return runner


def values(source: str, **options) -> dict:
    """The variables after running `source`, which must finish as done."""
    runner = run(source, **options)
    assert runner.status == "done", runner.outcome
    return runner.variables


def failure(source: str, **options) -> dict:
    """The error of a script that must abort."""
    runner = run(source, **options)
    assert runner.status == "aborted", runner.outcome
    return runner.outcome.error
