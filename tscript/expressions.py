"""Compile expressions that cannot stop a step into Python closures, the interpreter's fast path."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from . import nodes as n
from .builtins import PURE, STOPPING
from .errors import NotDefinedError, TScriptError, UnexpectedError
from .operators import BINARY, COMPARE, index, multiply, sign
from .values import NUMERIC

Thunk = Callable[[], Any]


def stops(node: n.Node) -> bool:
    """True when evaluating `node` may end the step (a module call or pause/delay/...): those run on the stack."""
    if isinstance(node, n.Call) and (node.module is not None or node.name in STOPPING):
        return True
    return any(stops(child) for child in _children(node))


def _children(node: n.Node):
    if isinstance(node, (n.Index,)):
        return (node.target, node.index)
    if isinstance(node, (n.BinOp, n.Compare, n.Logic)):
        return (node.left, node.right)
    if isinstance(node, (n.Sign, n.Not)):
        return (node.operand,)
    if isinstance(node, n.Array):
        return node.items
    if isinstance(node, (n.Map, n.Call)):
        return [value for _key, value in (node.items if isinstance(node, n.Map) else node.args)]
    if isinstance(node, n.Exists):
        return (node.target,)
    return ()


class Expressions:
    """Turns expression nodes into zero-argument closures reading `variables` and host modules."""

    def __init__(self, variables: dict, read_module: Callable[[str, str], Any]):
        self.variables = variables
        self.read_module = read_module

    def compile(self, node: n.Node) -> Thunk:
        """A closure that evaluates `node`; errors carry the position of the failing part."""
        return getattr(self, "_" + type(node).__name__.lower())(node)

    def _const(self, node: n.Const) -> Thunk:
        value = node.value
        return lambda: value

    def _var(self, node: n.Var) -> Thunk:
        variables, name, line, column = self.variables, node.name, node.line, node.column

        def var():
            try:
                return variables[name]
            except KeyError:
                raise NotDefinedError(f"Variable '{name}' is not defined", line, column) from None

        return var

    def _modulevalue(self, node: n.ModuleValue) -> Thunk:
        read, module, name = self.read_module, node.module, node.name
        return _positioned(lambda: read(module, name), node)

    def _index(self, node: n.Index) -> Thunk:
        target, key = self.compile(node.target), self.compile(node.index)
        return _positioned(lambda: index(target(), key()), node)

    def _sign(self, node: n.Sign) -> Thunk:
        operand, op = self.compile(node.operand), node.op
        return _positioned(lambda: sign(op, operand()), node)

    def _not(self, node: n.Not) -> Thunk:
        operand = self.compile(node.operand)
        return lambda: not operand()

    def _logic(self, node: n.Logic) -> Thunk:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "and":
            return lambda: value if not (value := left()) else right()
        return lambda: value if (value := left()) else right()

    def _compare(self, node: n.Compare) -> Thunk:
        left, right, fn = self.compile(node.left), self.compile(node.right), COMPARE[node.op]
        return _positioned(lambda: fn(left(), right()), node)

    def _binop(self, node: n.BinOp) -> Thunk:
        fn, line, column = BINARY[node.op], node.line, node.column
        left = self.compile(node.left)
        if isinstance(node.right, n.Const) and type(node.right.value) in NUMERIC and node.op in "+-*":
            return _constant_arithmetic(node.op, fn, left, node.right.value, line, column)
        right = self.compile(node.right)

        def binop():
            try:
                return fn(left(), right())
            except TScriptError as exc:
                raise exc.at(line, column) from None

        return binop

    def _array(self, node: n.Array) -> Thunk:
        items = [self.compile(item) for item in node.items]
        return lambda: [item() for item in items]

    def _map(self, node: n.Map) -> Thunk:
        items = [(key, self.compile(value)) for key, value in node.items]
        return lambda: {key: value() for key, value in items}

    def _exists(self, node: n.Exists) -> Thunk:
        target = self.compile(node.target)

        def exists():
            try:
                target()
            except NotDefinedError:
                return False
            return True

        return exists

    def _call(self, node: n.Call) -> Thunk:
        builtin = PURE.get(node.name)
        if builtin is None:
            message = f"Function '{node.name}' is not defined"
            return _positioned(_raiser(message), node)
        args = [(key, self.compile(value)) for key, value in node.args]
        fn = builtin.fn
        assert fn is not None  # every PURE builtin has its function

        def call():
            return fn(**builtin.bind({key: value() for key, value in args}))

        return _positioned(call, node)


def _constant_arithmetic(op: str, fn, left: Thunk, constant, line: int, column: int) -> Thunk:
    # `x + 1` and friends are the bulk of loop counters: skip a call and a type check.
    raw = {"+": operator.add, "-": operator.sub, "*": multiply}[op]

    def arithmetic():
        value = left()
        try:
            if type(value) in NUMERIC:
                return raw(value, constant)
            return fn(value, constant)
        except TScriptError as exc:
            raise exc.at(line, column) from None

    return arithmetic


def _raiser(message: str) -> Thunk:
    def fail():
        raise NotDefinedError(message)

    return fail


def _positioned(fn: Thunk, node: n.Node) -> Thunk:
    line, column = node.line, node.column

    def positioned():
        try:
            return fn()
        except TScriptError as exc:
            raise exc.at(line, column) from None
        except RecursionError:
            raise UnexpectedError("Value nested too deeply", line, column) from None

    return positioned
