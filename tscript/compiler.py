"""Compile the syntax tree into a flat instruction list with jumps, the form the runner executes."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from . import nodes as n
from .builtins import IN_PLACE
from .expressions import stops
from .parser import parse


@dataclass(slots=True)
class BlockInfo:
    """A block, loop or if statement: what progress reports show and where its statements start."""

    kind: str  # scope, while or if
    description: str | None = None
    expected_time: float | None = None
    max_time: float | None = None
    line: int = 0
    starts: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Code:
    """The compiled program: instructions `(op, line, column, *args)`, blocks (0 is the job) and labels."""

    instructions: list[tuple]
    blocks: list[BlockInfo]
    labels: dict[str, int]
    #: every `while` statement, and the instructions [start, end) each statement compiled to (by id of
    #: the node): what tscript.fused needs to turn a loop back into Python
    whiles: list[n.While] = field(default_factory=list)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: tscript.fused's Python for the loops, compiled once per Code (filled on first use)
    fused: Any = None


class _Label:
    __slots__ = ("pc",)

    def __init__(self) -> None:
        self.pc: int | None = None


@functools.lru_cache(maxsize=64)
def compile_source(source: str) -> Code:
    """Parse and compile `source`; cached, since a job re-creates its runner at every step."""
    return Compiler().compile(parse(source))


class Compiler:
    """One pass over the tree emitting instructions; `depth` counts the frames open at each point."""

    def __init__(self) -> None:
        self.code: list[list] = []
        self.blocks: list[BlockInfo] = []
        self.labels: dict[str, int] = {}
        self.loops: list[tuple[_Label, _Label, int]] = []
        self.depth = 1
        self.whiles: list[n.While] = []
        self.spans: dict[int, tuple[int, int]] = {}

    def compile(self, program: n.Program) -> Code:
        body = program.body
        lone = body[0] if len(body) == 1 and isinstance(body[0], n.Block) else None
        root = self._block_info("scope", lone) if lone else BlockInfo("scope", line=1)
        self.blocks.append(root)
        for stmt in lone.body if lone else body:
            root.starts.append(len(self.code))
            self.statement(stmt)
        self.emit("halt", body[-1] if body else None)
        instructions = [tuple(arg.pc if isinstance(arg, _Label) else arg for arg in ins) for ins in self.code]
        return Code(instructions, self.blocks, self.labels, self.whiles, self.spans)

    def emit(self, op: str, where: n.Node | None, *args) -> None:
        line, column = (where.line, where.column) if where is not None else (1, 1)
        self.code.append([op, line, column, *args])

    def place(self, label: _Label) -> None:
        label.pc = len(self.code)

    def _block_info(self, kind: str, node: n.Node) -> BlockInfo:
        if isinstance(node, n.Block):
            return BlockInfo(kind, node.description, node.expected_time, node.max_time, node.line)
        return BlockInfo(kind, line=node.line)

    def _new_block(self, kind: str, node: n.Node) -> int:
        self.blocks.append(self._block_info(kind, node))
        return len(self.blocks) - 1

    # statements

    def statement(self, stmt: n.Node) -> None:
        start = len(self.code)
        getattr(self, "_" + type(stmt).__name__.lower())(stmt)
        self.spans[id(stmt)] = (start, len(self.code))

    def _assign(self, stmt: n.Assign) -> None:
        target, value = stmt.target, stmt.value
        if isinstance(target, n.Var):
            if stops(value):
                self.expression(value)
                self.emit("store", stmt, target.name)
            else:
                self.emit("assign", stmt, target.name, value)
        elif isinstance(target, n.ModuleValue):
            self.expression(value)
            self.emit("store_module", target, target.module, target.name)
        else:
            assert isinstance(target, n.Index)  # the parser allows no other target
            self._assign_index(stmt, target, value)

    def _assign_index(self, stmt: n.Assign, target: n.Index, value: n.Node) -> None:
        root, keys = unwind_index(target)
        if not stops(value) and not any(stops(key) for key in keys):
            self.emit("assign_index", target, root, keys, value)
            return
        for key in keys:
            self.expression(key)
        self.expression(value)
        self.emit("store_index", target, root, len(keys))

    def _exprstmt(self, stmt: n.ExprStmt) -> None:
        if stops(stmt.expr):
            self.expression(stmt.expr)
            self.emit("pop", stmt)
        else:
            self.emit("eval", stmt, stmt.expr)

    def _if(self, stmt: n.If) -> None:
        block, end = self._new_block("if", stmt), _Label()
        for cond, body in stmt.branches:
            skip = _Label()
            self._condition("branch", cond, skip, block)
            self._nested(body)
            self.emit("leave_jump", body, end)
            self.place(skip)
        if stmt.orelse is not None:
            self.emit("enter", stmt.orelse, block)
            self._nested(stmt.orelse)
            self.emit("leave", stmt.orelse)
        self.place(end)

    def _condition(self, op: str, cond: n.Node, target: _Label, *args) -> None:
        if stops(cond):
            self.expression(cond)
            self.emit(op, cond, None, target, *args)
        else:
            self.emit(op, cond, cond, target, *args)

    def _nested(self, body: n.Node) -> None:
        self.depth += 1
        self.statement(body)
        self.depth -= 1

    def _while(self, stmt: n.While) -> None:
        self.whiles.append(stmt)
        test, done = _Label(), _Label()
        self.emit("enter", stmt, self._new_block("while", stmt))
        self.place(test)
        self._condition("jump_false", stmt.cond, done)
        self.loops.append((test, done, self.depth + 1))
        self._nested(stmt.body)
        self.loops.pop()
        self.emit("jump", stmt, test)
        self.place(done)
        self.emit("leave", stmt)

    def _block(self, stmt: n.Block) -> None:
        block = self._new_block("scope", stmt)
        self.emit("enter", stmt, block)
        self.depth += 1
        for inner in stmt.body:
            self.blocks[block].starts.append(len(self.code))
            self.statement(inner)
        self.depth -= 1
        self.emit("leave", stmt)

    def _label(self, stmt: n.Label) -> None:
        self.labels[stmt.name] = len(self.code)

    def _goto(self, stmt: n.Goto) -> None:
        self.emit("goto", stmt, stmt.label)

    def _jump(self, stmt: n.Jump) -> None:
        if stmt.kind == "pass":
            return
        test, done, depth = self.loops[-1]
        self.emit("unwind", stmt, depth, done if stmt.kind == "break" else test)

    # expressions that may stop the step: evaluated on the value stack

    def expression(self, node: n.Node) -> None:
        if not stops(node):
            self.emit("push", node, node)
        elif isinstance(node, n.Call):
            self._call(node)
        elif isinstance(node, n.Logic):
            end = _Label()
            self.expression(node.left)
            self.emit(node.op + "_jump", node, end)
            self.expression(node.right)
            self.place(end)
        elif isinstance(node, (n.BinOp, n.Compare)):
            self.expression(node.left)
            self.expression(node.right)
            self.emit(type(node).__name__.lower(), node, node.op)
        else:
            self._other(node)

    def _other(self, node: n.Node) -> None:
        if isinstance(node, (n.Not, n.Sign)):
            self.expression(node.operand)
            self.emit(type(node).__name__.lower(), node, getattr(node, "op", "not"))
        elif isinstance(node, n.Index):
            self.expression(node.target)
            self.expression(node.index)
            self.emit("index", node)
        elif isinstance(node, n.Array):
            for item in node.items:
                self.expression(item)
            self.emit("list", node, len(node.items))
        elif isinstance(node, n.Map):
            for _key, value in node.items:
                self.expression(value)
            self.emit("map", node, tuple(key for key, _value in node.items))
        else:  # Exists with a stopping call inside an index
            assert isinstance(node, n.Exists)
            root, keys = unwind_index(node.target)
            for key in keys:
                self.expression(key)
            self.emit("exists", node, root, len(keys))

    def _call(self, node: n.Call) -> None:
        ref = None
        for key, value in node.args:
            if key == "array" and node.module is None and node.name in IN_PLACE and _variable_root(value):
                # the list is looked up when the call runs: a saved state holds no shared references
                ref, keys = unwind_index(value)
                for index_key in keys:
                    self.expression(index_key)
                self.emit("list", value, len(keys))
            else:
                self.expression(value)
        if node.module is None and not stops_itself(node):
            self.emit("call_pure", node, node, ref.name if isinstance(ref, n.Var) else None)
        else:
            self.emit("call", node, node)


def stops_itself(node: n.Call) -> bool:
    """True for calls that end the step themselves (as opposed to having a stopping argument)."""
    return stops(n.Call(node.line, node.column, node.module, node.name, []))


def _variable_root(node: n.Node) -> bool:
    root, _keys = unwind_index(node)
    return isinstance(root, n.Var)


def unwind_index(node: n.Node) -> tuple[n.Node, list[n.Node]]:
    """`a[1][2]` -> (a, [1, 2])."""
    keys = []
    while isinstance(node, n.Index):
        keys.append(node.index)
        node = node.target
    return node, keys[::-1]
