"""Dataclass nodes of the TScript syntax tree, each carrying its source line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    """Base of every node: where it starts in the source (1-based)."""

    line: int
    column: int


# Expressions


@dataclass(slots=True)
class Const(Node):
    """A literal number, string, boolean, none or duration."""

    value: Any


@dataclass(slots=True)
class Var(Node):
    """A variable read."""

    name: str


@dataclass(slots=True)
class ModuleValue(Node):
    """A `module.name` value exported by a host module."""

    module: str
    name: str


@dataclass(slots=True)
class Index(Node):
    """`target[index]`."""

    target: Node
    index: Node


@dataclass(slots=True)
class Sign(Node):
    """Unary `+` or `-`."""

    op: str
    operand: Node


@dataclass(slots=True)
class BinOp(Node):
    """An arithmetic, bitwise or concatenation operator; line/column point at the operator."""

    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Compare(Node):
    """A comparison; line/column point at the operator."""

    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Not(Node):
    """Boolean negation."""

    operand: Node


@dataclass(slots=True)
class Logic(Node):
    """Short-circuit `and` / `or`, returning one of the operands."""

    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Array(Node):
    """`[ a, b ]`."""

    items: list[Node]


@dataclass(slots=True)
class Map(Node):
    """`{ key = value }`."""

    items: list[tuple[str, Node]]


@dataclass(slots=True)
class Call(Node):
    """A call of a builtin (`module` is None) or of a module function, keyword arguments only."""

    module: str | None
    name: str
    args: list[tuple[str, Node]]
    #: (line, column) of each keyword in `args`, for messages about an argument
    keywords: tuple[tuple[int, int], ...] = ()


@dataclass(slots=True)
class Exists(Node):
    """`exists( target )`: false when reading target fails as not defined."""

    target: Node


# Statements


@dataclass(slots=True)
class Assign(Node):
    """`target = value`; the target is a Var, ModuleValue or Index."""

    target: Node
    value: Node


@dataclass(slots=True)
class ExprStmt(Node):
    """An expression whose value is discarded."""

    expr: Node


@dataclass(slots=True)
class If(Node):
    """`if`/`elif` branches (condition, statement) and an optional `else` statement."""

    branches: list[tuple[Node, Node]]
    orelse: Node | None


@dataclass(slots=True)
class While(Node):
    """`while cond do body`."""

    cond: Node
    body: Node


@dataclass(slots=True)
class Block(Node):
    """`begin( options ) ... end`."""

    body: list[Node]
    description: str | None = None
    expected_time: float | None = None
    max_time: float | None = None


@dataclass(slots=True)
class Label(Node):
    """`:name`, a top-level jump point."""

    name: str


@dataclass(slots=True)
class Goto(Node):
    """`goto name`."""

    label: str


@dataclass(slots=True)
class Jump(Node):
    """`break`, `continue` or `pass` (kind names which)."""

    kind: str


@dataclass(slots=True)
class Program:
    """A parsed script: its top-level statements and the job options taken from a lone block."""

    body: list[Node]
    labels: dict[str, int] = field(default_factory=dict)
