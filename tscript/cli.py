"""The command line: `check` a script, or `run` it with the builtins only (used by operators and tests)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .errors import TScriptSyntaxError
from .outcome import Outcome
from .parser import check
from .runner import DEFAULT_MAX_STEPS, Runner

EXIT_DONE, EXIT_ABORTED, EXIT_SYNTAX, EXIT_STOPPED = 0, 1, 2, 3
#: Instructions a whole `run` may take: an endless loop under --resume (each step spends its budget
#: and is reset) ends after a few seconds instead of 100,000 steps of a million instructions each.
DEFAULT_MAX_TOTAL_STEPS = 5_000_000


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _arguments().parse_args(argv)
    if args.command == "check":
        try:
            modules = _modules(args)
        except (OSError, ValueError) as error:
            print(f"{args.module_file}: {error}", file=sys.stderr)
            return EXIT_SYNTAX
        return max(_check(path, _read(path), modules) for path in args.files)
    return _run(args, _read(args.file))


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tscript", description="Check or run a TScript script.")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="exit 0 if the scripts are valid, else 1 and print the problems")
    checking.add_argument("files", nargs="+", metavar="FILE", help="the scripts, or - for standard input")
    checking.add_argument(
        "--modules", nargs="+", metavar="NAME", default=[], help="modules the scripts may use: warn about any other"
    )
    checking.add_argument(
        "--module-file",
        metavar="JSON",
        help='module descriptions, {"module": {"function": ["param", ...]}}: also warn about unknown functions '
        "and arguments (null: not checked)",
    )
    running = commands.add_parser("run", help="run the script with the builtins only")
    running.add_argument("file", help="the script, or - for standard input")
    running.add_argument("--json", action="store_true", help="print one JSON object with the outcome")
    running.add_argument("--resume", action="store_true", help="resume pauses and errors, wait out delays")
    running.add_argument("--max-steps", type=int, default=100_000, help="give up after this many job steps")
    running.add_argument("--budget", type=int, default=DEFAULT_MAX_STEPS, help="instructions per step")
    running.add_argument(
        "--max-total-steps",
        type=int,
        default=DEFAULT_MAX_TOTAL_STEPS,
        help=f"give up after this many instructions in all steps together (default {DEFAULT_MAX_TOTAL_STEPS:,})",
    )
    return parser


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _modules(args) -> dict | None:
    """The modules to check against: --modules names (functions unchecked) and the --module-file description."""
    if not args.modules and not args.module_file:
        return None
    found = dict.fromkeys(args.modules)
    if args.module_file:
        with open(args.module_file, encoding="utf-8") as handle:
            described = json.load(handle)
        valid = isinstance(described, dict) and all(
            functions is None
            or isinstance(functions, dict)
            and all(takes is None or isinstance(takes, list) for takes in functions.values())
            for functions in described.values()
        )
        if not valid:
            raise ValueError('expected {"module": {"function": ["parameter", ...] or null} or null}')
        found.update(described)
    return found


def _check(path: str, source: str, modules: dict | None = None) -> int:
    problems = check(source, modules=modules, warnings=True)
    for problem in problems:
        label = "" if problem.severity == "error" else "warning: "
        print(f"{path}:{problem.line}:{problem.column}: {label}{problem.message}")
        print(problem.source_line)
        print(problem.caret)
    return EXIT_ABORTED if any(p.severity == "error" for p in problems) else EXIT_DONE


class _Clock:
    """Real time plus the delays skipped so far: `--resume` waits out delays without sleeping."""

    def __init__(self):
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped


def _run(args, source: str) -> int:
    clock = _Clock()
    try:
        runner = Runner(source, clock=clock)
    except TScriptSyntaxError as error:
        return _report_syntax(args, error)
    steps: list[dict] = []
    outcome = Outcome("ready")
    for _ in range(max(args.max_steps, 1)):
        left = args.max_total_steps - runner.executed
        if left <= 0:
            # the whole run used its instructions (the script may loop forever)
            outcome = Outcome("gave_up", f"Gave up after {runner.executed:,} instructions in all (--max-total-steps)")
        else:
            outcome = runner.run(max_steps=min(args.budget, left))
        steps.append({"status": outcome.status, "message": outcome.message})
        if not args.json:
            print(f"[{outcome.status}] {outcome.message}")
        if outcome.status == "gave_up" or not _carry_on(args, runner, outcome, clock):
            break
    else:
        outcome = Outcome("gave_up", f"Gave up after {len(steps):,} steps (--max-steps)")
        if not args.json:
            print(f"[{outcome.status}] {outcome.message}")
    return _report(args, runner, outcome, steps)


def _carry_on(args, runner: Runner, outcome, clock: _Clock) -> bool:
    if outcome.status == "yielded":
        return True
    if not args.resume or outcome.status in ("done", "aborted"):
        return False
    if outcome.status == "paused":
        runner.resume()
    elif outcome.status == "error":
        runner.reset()
    elif runner.delay_until is not None:
        clock.skipped += max(runner.delay_until - clock(), 0.0)
    else:
        return False  # waiting on a remote task: nobody will answer it here
    return True


def _report(args, runner: Runner, outcome, steps: list[dict]) -> int:
    code = {"done": EXIT_DONE, "aborted": EXIT_ABORTED}.get(outcome.status, EXIT_STOPPED)
    if args.json:
        result = {"status": outcome.status, "message": outcome.message, "variables": runner.variables, "steps": steps}
        if outcome.error:
            result["error"] = {key: outcome.error[key] for key in ("kind", "message", "line", "column")}
        print(json.dumps(result))
    else:
        if outcome.error:
            error = outcome.error
            print(f"{args.file}:{error['line']}:{error['column']}: {error['kind']}: {error['message']}")
        print(json.dumps(runner.variables, indent=2, sort_keys=True))
    return code


def _report_syntax(args, error: TScriptSyntaxError) -> int:
    if args.json:
        details = {"kind": "syntax", "message": error.message, "line": error.line, "column": error.column}
        result = {"status": "syntax_error", "message": error.message, "variables": {}, "error": details, "steps": []}
        print(json.dumps(result))
    else:
        print(error.diagnostic.render(args.file))
    return EXIT_SYNTAX
