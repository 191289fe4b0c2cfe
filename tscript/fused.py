"""Loops that cannot stop a step, turned back into Python: the interpreter's fast path for hot code.

A `while` loop whose statements call no module function, no stopping builtin and no `goto` runs the
same instructions every iteration, none of which can end the step except by spending the budget. Such
a loop is generated as one Python function (source compiled once per script, bound once per runner)
that keeps the state where the instructions keep it: the value stack and block frames live in the
runner, and so do the variables, except in a loop made of generated code only, which keeps them in
Python locals and writes them back whenever it returns or fails (no closure can look at them in
between). So the function can hand control back to the instruction loop before any instruction,
and does so whenever the rest of the step budget may not
cover the next run of instructions: the interpreter then takes those one at a time and spends the
budget at exactly the instruction it always did. The state a step ends in is the same as without
this module, instruction for instruction.

Each function is entered at its loop's first instruction (`enter`) or at its test (a step that ends
with the budget, or a state restored, may stand there) and returns `(next pc, instructions run)`. An
error leaves `box = [pc of the failing statement, instructions run]` for the runner.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from . import nodes as n
from .errors import NotDefinedError, TScriptError
from .expressions import Expressions, stops
from .operators import BINARY, COMPARE, MAX_INTEGER_BITS
from .values import copy

_MUTABLE = (list, dict)
_SCALAR_RESULTS = (n.BinOp, n.Compare, n.Not, n.Sign)
_FAST_ARITHMETIC = {"+", "-", "*"}
_FAST_ORDERING = {"<", ">", "<=", ">="}


def fusable(node: n.Node) -> bool:
    """True when `node` can run as generated Python: nothing in it can end the step or jump away."""
    if isinstance(node, n.Assign):
        return not stops(node.value) and not stops(node.target)
    if isinstance(node, n.ExprStmt):
        return not stops(node.expr)
    if isinstance(node, n.Jump):
        return True
    if isinstance(node, n.Block):
        return all(fusable(stmt) for stmt in node.body)
    if isinstance(node, n.While):
        return not stops(node.cond) and fusable(node.body)
    if isinstance(node, n.If):
        branches = all(not stops(cond) and fusable(body) for cond, body in node.branches)
        return branches and (node.orelse is None or fusable(node.orelse))
    return False  # labels and goto


class _Loop:
    """One loop's generated function, ready to bind: `make(V, F, S, clock, C, E, box)` returns it."""

    def __init__(self, enter: int, test: int, make: Callable, fallbacks: list[n.Node]):
        self.enter, self.test, self.make, self.fallbacks = enter, test, make, fallbacks


def _candidates(code) -> dict[int, n.While]:
    """The loops of a compiled script that can run as Python, by the pc of their `enter` (kept with the Code,
    with each loop's generated function once it first runs)."""
    if code.fused is None:
        code.fused = ({code.spans[id(stmt)][0]: stmt for stmt in code.whiles if fusable(stmt)}, {})
    return code.fused[0]


def _generated(code, enter: int) -> _Loop | None:
    made = code.fused[1]
    if enter not in made:
        stmt = code.fused[0][enter]
        loop = _Generator(code, cached=True).loop(stmt)  # None when the loop needs the closures
        made[enter] = loop or _Generator(code, cached=False).loop(stmt)
    return made[enter]


def bind(code, rt) -> tuple[list, list]:
    """Per runner: a list by pc of the loop entry there (or None), and the box an error leaves.

    A loop is generated (once per script) and bound (once per runner) when it first runs, so a runner
    made for one step of a long script pays only for the loops that step reaches.
    """
    entries: list[Any] = [None] * len(code.instructions)
    box = [0, 0]

    def first_run(enter: int, from_enter: bool, budget: int) -> tuple[int, int]:
        loop = _generated(code, enter)
        if loop is None:  # nested deeper than Python compiles: the instructions run it
            entries[enter] = entries[enter + 1] = None
            return (enter if from_enter else enter + 1), 0
        expressions = Expressions(rt.vars, rt.read_module)
        fallbacks = [expressions.compile(node) for node in loop.fallbacks]
        run = loop.make(rt.vars, rt.frames, rt.stack, rt.clock, rt.instructions, fallbacks, box)
        entries[loop.enter], entries[loop.test] = functools.partial(run, True), functools.partial(run, False)
        return run(from_enter, budget)

    for enter in _candidates(code):
        entries[enter] = functools.partial(first_run, enter, True)
        entries[enter + 1] = functools.partial(first_run, enter, False)
    return entries, box


class _Segment:
    """Instructions that run one after the other: one budget check covers them all."""

    def __init__(self):
        self.items: list[tuple[int, int, list[str]]] = []  # (pc, instruction count, Python lines)

    def add(self, pc: int, count: int, lines: list[str]) -> None:
        self.items.append((pc, count, lines))


class _Generator:
    """Writes the Python source of one loop, keeping the instruction count of every path exact."""

    def __init__(self, code, cached: bool):
        self.code = code
        #: keep the variables in Python locals, written back to V whenever the function returns or fails; only
        #: for a loop whose every part is generated (a closure reads and writes V itself)
        self.cached = cached
        self.locals: dict[str, str] = {}  # variable -> its local
        self.written: set[str] = set()
        self.closures = False
        self.ins = code.instructions
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.fallbacks: list[n.Node] = []
        self.temps = 0
        self.segment = _Segment()
        #: by pc, the instructions of its segment after it: counted on entry, not run when it fails
        self.unrun: dict[int, int] = {}

    def loop(self, stmt: n.While) -> _Loop | None:
        enter, _end = self.code.spans[id(stmt)]
        test = enter + 1
        block = self.ins[enter][3]
        self.out(3, "if enter:")
        self.out(4, f"if budget < 1: return ({enter}, 0)")
        self.out(4, "ran = 1")
        self.out(4, f"F.append([{block}, clock(), {enter}])")
        done = self._while_body(stmt, 3)
        self.flush(3)
        self.leave(3, f"({done + 1}, ran)")
        self.out(2, "except BaseException:")
        self.sync(3)
        self.out(3, "box[0] = at")
        self.out(3, "box[1] = ran - unrun.get(at, 0)")
        self.out(3, "raise")
        self.out(1, "return run")
        if self.cached and (self.closures or self.fallbacks):
            return None
        self._expand_sync()
        prologue = ["    def run(enter, budget):", "        ran = 0", f"        at = {enter}"]
        prologue += [f"        {local} = V.get({name!r}, MISSING)" for name, local in self.locals.items()]
        self.lines[:0] = [*prologue, "        try:"]
        self.constants["unrun"] = self.unrun
        names = ", ".join(self.constants)
        source = f"def make(V, F, S, clock, C, E, box{', ' if names else ''}{names}):\n" + "\n".join(self.lines)
        try:
            namespace: dict[str, Any] = dict(_GLOBALS)
            exec(compile(source, f"<tscript loop at line {stmt.line}>", "exec"), namespace)  # noqa: S102
        except (SyntaxError, RecursionError, MemoryError):  # nested past what Python compiles: interpret it
            return None
        make = functools.partial(namespace["make"], **self.constants) if self.constants else namespace["make"]
        return _Loop(enter, test, make, self.fallbacks)

    # output

    def out(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def sync(self, indent: int) -> None:
        """Write the variables kept in locals back to V (those the loop assigns; the others did not change).

        The loop's assignments are all known only at the end: a marker stands here until then."""
        if self.cached:
            self.out(indent, _SYNC)

    def _expand_sync(self) -> None:
        lines = []
        for line in self.lines:
            if line.strip() != _SYNC:
                lines.append(line)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            synced = [
                f"if {self.locals[name]} is not MISSING: V[{name!r}] = {self.locals[name]}"
                for name in sorted(self.written)
            ]
            lines.extend(indent + text for text in synced or ["pass"])
        self.lines = lines

    def leave(self, indent: int, value: str) -> None:
        self.sync(indent)
        self.out(indent, f"return {value}")

    def bail(self, indent: int, count: int, pc: int) -> None:
        """Hand back to the instruction loop at `pc` unless the budget covers `count` more instructions."""
        if self.cached:
            self.out(indent, f"if ran + {count} > budget:")
            self.leave(indent + 1, f"({pc}, ran)")
        else:
            self.out(indent, f"if ran + {count} > budget: return ({pc}, ran)")

    def local(self, name: str) -> str:
        if name not in self.locals:
            self.locals[name] = f"v{len(self.locals)}"
        return self.locals[name]

    def flush(self, indent: int) -> None:
        items, self.segment = self.segment.items, _Segment()
        count = sum(item[1] for item in items)
        if not count:
            return
        left = count
        for pc, items_count, _lines in items:
            left -= items_count
            if left:
                self.unrun[pc] = left
        self.bail(indent, count, items[0][0])
        self.out(indent, f"ran += {count}")
        for pc, _count, lines in items:
            if lines:
                self.out(indent, f"at = {pc}")
            for line in lines:
                self.out(indent, line)

    # statements

    def statements(self, stmts: list[n.Node], indent: int) -> None:
        for stmt in stmts:
            self.statement(stmt, indent)

    def statement(self, stmt: n.Node, indent: int) -> None:
        start, end = self.code.spans[id(stmt)]
        if isinstance(stmt, n.Block):
            block = self.ins[start][3]
            self.segment.add(start, 1, [f"F.append([{block}, clock(), {start}])"])
            self.statements(stmt.body, indent)
            self.segment.add(end - 1, 1, ["F.pop()"])
        elif isinstance(stmt, n.While):
            self.segment.add(start, 1, [f"F.append([{self.ins[start][3]}, clock(), {start}])"])
            self.flush(indent)
            self._while_body(stmt, indent)
        elif isinstance(stmt, n.If):
            self._if(stmt, start, indent)
        elif isinstance(stmt, n.Jump):
            if stmt.kind != "pass":
                depth = self.ins[start][3]
                self.segment.add(start, 1, [f"del F[{depth}:]", "break" if stmt.kind == "break" else "continue"])
                self.flush(indent)
        elif isinstance(stmt, n.Assign) and isinstance(stmt.target, n.Var):
            self.segment.add(start, 1, self._assign(stmt.target.name, stmt.value))
        else:  # other assignments and expression statements: the instructions' own closures
            self.closures = True
            self.segment.add(start, end - start, [f"C[{pc}]()" for pc in range(start, end)])

    def _assign(self, name: str, value: n.Node) -> list[str]:
        source = self.expression(value)
        target = f"V[{name!r}]"
        if self.cached:
            target = self.local(name)
            self.written.add(name)
        if isinstance(value, _SCALAR_RESULTS) or (isinstance(value, n.Const) and type(value.value) not in _MUTABLE):
            return [f"{target} = {source}"]
        temp = self.temp()
        return [f"{temp} = {source}", f"{target} = copy({temp}) if type({temp}) in MUTABLE else {temp}"]

    def _while_body(self, stmt: n.While, indent: int) -> int:
        """The loop from its test on (the frame is entered); returns the pc of its closing `leave`."""
        start, _end = self.code.spans[id(stmt)]
        test, done = start + 1, self.ins[start + 1][4]
        self.out(indent, "while True:")
        self.segment.add(test, 1, [f"if not {self.expression(stmt.cond)}: break"])
        self.flush(indent + 1)
        self.statement(stmt.body, indent + 1)
        self.segment.add(done - 1, 1, [])  # the jump back to the test
        self.flush(indent + 1)
        self.segment.add(done, 1, ["F.pop()"])
        return done

    def _if(self, stmt: n.If, start: int, indent: int) -> None:
        self.flush(indent)
        pc = start
        for cond, body in stmt.branches:
            block = self.ins[pc][5]
            self.bail(indent, 1, pc)
            self.out(indent, "ran += 1")
            self.out(indent, f"at = {pc}")
            self.out(indent, f"if {self.expression(cond)}:")
            self.out(indent + 1, f"F.append([{block}, clock(), {pc}])")
            self.statement(body, indent + 1)
            leave_jump = self.code.spans[id(body)][1]
            self.segment.add(leave_jump, 1, ["F.pop()"])
            self.flush(indent + 1)
            self.out(indent, "else:")
            indent += 1
            pc = leave_jump + 1
        if stmt.orelse is None:
            self.out(indent, "pass")
            return
        block = self.ins[pc][3]
        self.segment.add(pc, 1, [f"F.append([{block}, clock(), {pc}])"])
        self.statement(stmt.orelse, indent)
        self.segment.add(self.code.spans[id(stmt.orelse)][1], 1, ["F.pop()"])
        self.flush(indent)

    # expressions

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def constant(self, value: Any) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name

    def expression(self, node: n.Node) -> str:
        if isinstance(node, n.Const):
            value = node.value
            if type(value) in (bool, str, type(None)) or (type(value) in (int, float) and math.isfinite(value)):
                return f"({value!r})"
            return self.constant(value)
        if isinstance(node, n.Var):
            name, undefined = node.name, self.constant(_undefined(node))
            if self.cached:
                local = self.local(name)
                return f"({local} if {local} is not MISSING else {undefined}())"
            return f"(V[{name!r}] if {name!r} in V else {undefined}())"
        if isinstance(node, n.Logic):
            return f"({self.expression(node.left)} {node.op} {self.expression(node.right)})"
        if isinstance(node, n.Not):
            return f"(not {self.expression(node.operand)})"
        if isinstance(node, n.BinOp):
            return self._binary(node, BINARY[node.op], _FAST_ARITHMETIC)
        if isinstance(node, n.Compare):
            if node.op in ("==", "!=") and _is_scalar_constant(node.left, node.right):
                return f"({self.expression(node.left)} {node.op} {self.expression(node.right)})"
            return self._binary(node, COMPARE[node.op], _FAST_ORDERING)
        self.fallbacks.append(node)
        return f"E[{len(self.fallbacks) - 1}]()"

    def _binary(self, node: n.BinOp | n.Compare, fn: Callable, fast: set[str]) -> str:
        left, right = self.expression(node.left), self.expression(node.right)
        slow = self.constant(_positioned(fn, node))
        if node.op not in fast:
            return f"{slow}({left}, {right})"
        # an int constant needs no type check; `*` also bounds its operands so that the product cannot pass
        # MAX_INTEGER_BITS (the bits of a product are at most the sum of its operands' bits)
        bits = MAX_INTEGER_BITS // 2
        checks, operands = [], []
        for side, source in ((node.left, left), (node.right, right)):
            if isinstance(side, n.Const) and type(side.value) is int:
                operands.append(source)
                bits = MAX_INTEGER_BITS - side.value.bit_length() if node.op == "*" else bits
                continue
            temp = self.temp()
            operands.append(temp)
            checks.append((temp, f"(type({temp} := {source}) is int)"))
        if not checks:
            return f"{slow}({left}, {right})"
        test = " & ".join(check for _temp, check in checks)
        if node.op == "*":
            low, high = self.constant(-(2**bits)), self.constant(2**bits)
            test += "".join(f" and {low} < {temp} < {high}" for temp, _check in checks)
        a, b = operands
        return f"({a} {node.op} {b} if {test} else {slow}({a}, {b}))"


def _is_scalar_constant(left: n.Node, right: n.Node) -> bool:
    return any(isinstance(side, n.Const) and type(side.value) not in _MUTABLE for side in (left, right))


def _undefined(node: n.Var) -> Callable[[], Any]:
    message, line, column = f"Variable '{node.name}' is not defined", node.line, node.column

    def undefined():
        raise NotDefinedError(message, line, column)

    return undefined


def _positioned(fn: Callable, node: n.Node) -> Callable:
    line, column = node.line, node.column

    def apply(a, b):
        try:
            return fn(a, b)
        except TScriptError as exc:
            raise exc.at(line, column) from None

    return apply


_SYNC = "# write the locals back"

#: Names every generated loop reads besides its arguments.
_GLOBALS = {"copy": copy, "MUTABLE": _MUTABLE, "MISSING": object()}
