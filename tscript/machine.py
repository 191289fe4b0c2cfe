"""Link compiled instructions into closures bound to one runner: `pc = code[pc]()` runs one instruction."""

from __future__ import annotations

import functools

from . import nodes as n
from .builtins import PURE
from .errors import NotDefinedError, TScriptError
from .expressions import Expressions
from .operators import BINARY, COMPARE, index, set_index, sign
from .values import copy

_MUTABLE = frozenset({list, dict})


class Stop(Exception):
    """Ends a step normally: `outcome` is what run() returns, `pc` where the next step starts."""

    def __init__(self, outcome, pc: int):
        super().__init__(outcome.status)
        self.outcome, self.pc = outcome, pc


class Done(Exception):
    """The script ran off its end."""


def link(code, rt) -> list:
    """One closure per instruction, reading and writing the runner's variables, stack and frames.

    Each is linked when it first runs: until then its place holds a stand-in that links it, puts it in its place
    and runs it. A job's runner is made afresh for every step and runs only a few of a long script's
    instructions; linking all of them took 5 ms a step for a script of 300 lines."""
    linker, instructions = _Linker(code, rt), code.instructions
    linked: list = []

    def first_run(pc: int) -> int:
        ins = instructions[pc]
        closure = linked[pc] = getattr(linker, "op_" + ins[0])(pc, *ins[3:])
        return closure()

    linked.extend(functools.partial(first_run, pc) for pc in range(len(instructions)))
    return linked


class _Linker:
    def __init__(self, code, rt):
        self.rt, self.labels = rt, code.labels
        self.vars, self.stack, self.frames = rt.vars, rt.stack, rt.frames
        self.ex = Expressions(rt.vars, rt.read_module)

    # statements

    def op_assign(self, pc, name, node):
        value, variables, nxt = self.ex.compile(node), self.vars, pc + 1

        def assign():
            result = value()
            variables[name] = copy(result) if type(result) in _MUTABLE else result
            return nxt

        return assign

    def op_eval(self, pc, node):
        value, nxt = self.ex.compile(node), pc + 1

        def evaluate():
            value()
            return nxt

        return evaluate

    def op_push(self, pc, node):
        value, push, nxt = self.ex.compile(node), self.stack.append, pc + 1

        def push_value():
            push(value())
            return nxt

        return push_value

    def op_store(self, pc, name):
        variables, pop, nxt = self.vars, self.stack.pop, pc + 1

        def store():
            variables[name] = copy(pop())
            return nxt

        return store

    def op_store_module(self, pc, module, name):
        write, pop, nxt = self.rt.write_module, self.stack.pop, pc + 1

        def store_module():
            write(module, name, copy(pop()))
            return nxt

        return store_module

    def op_assign_index(self, pc, root, keys, node):
        get_root = self._root(root)
        keys = [self.ex.compile(key) for key in keys]
        value, nxt = self.ex.compile(node), pc + 1

        def assign_index():
            container = get_root()
            self._set_path(root, container, [key() for key in keys], value())
            return nxt

        return assign_index

    def op_store_index(self, pc, root, count):
        get_root, stack, nxt = self._root(root), self.stack, pc + 1

        def store_index():
            value = stack.pop()
            keys = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            self._set_path(root, get_root(), keys, value)
            return nxt

        return store_index

    def _root(self, root: n.Node):
        if isinstance(root, n.ModuleValue):
            read = self.rt.read_module
            return lambda: read(root.module, root.name)
        return self.ex.compile(root)

    def _set_path(self, root: n.Node, container, keys: list, value) -> None:
        target = container
        for key in keys[:-1]:
            target = index(target, key)
        set_index(target, keys[-1], copy(value))
        if isinstance(root, n.ModuleValue):
            self.rt.write_module(root.module, root.name, container)

    def op_pop(self, pc):
        pop, nxt = self.stack.pop, pc + 1

        def discard():
            pop()
            return nxt

        return discard

    # control flow

    def op_branch(self, pc, cond, target, block):
        test, nxt, frames, clock = self._test(cond), pc + 1, self.frames, self.rt.clock

        def branch():
            if test():
                frames.append([block, clock(), pc])
                return nxt
            return target

        return branch

    def op_jump_false(self, pc, cond, target):
        test, nxt = self._test(cond), pc + 1

        def jump_false():
            return nxt if test() else target

        return jump_false

    def _test(self, cond):
        return self.stack.pop if cond is None else self.ex.compile(cond)

    def op_jump(self, pc, target):
        return lambda: target

    def op_enter(self, pc, block):
        frames, clock, nxt = self.frames, self.rt.clock, pc + 1

        def enter():
            frames.append([block, clock(), pc])
            return nxt

        return enter

    def op_leave(self, pc):
        frames, nxt = self.frames, pc + 1

        def leave():
            frames.pop()
            return nxt

        return leave

    def op_leave_jump(self, pc, target):
        frames = self.frames

        def leave_jump():
            frames.pop()
            return target

        return leave_jump

    def op_unwind(self, pc, depth, target):
        frames = self.frames

        def unwind():
            del frames[depth:]
            return target

        return unwind

    def op_goto(self, pc, label):
        labels, frames, stack = self.labels, self.frames, self.stack

        def goto():
            if label not in labels:
                raise NotDefinedError(f"Jump point '{label}' is not defined")
            del frames[1:]
            stack.clear()
            return labels[label]

        return goto

    def op_halt(self, pc):
        def halt():
            raise Done()

        return halt

    # expressions on the stack

    def _unary(self, pc, fn):
        stack, nxt = self.stack, pc + 1

        def unary():
            stack.append(fn(stack.pop()))
            return nxt

        return unary

    def _binary(self, pc, fn):
        stack, nxt = self.stack, pc + 1

        def binary():
            right = stack.pop()
            stack.append(fn(stack.pop(), right))
            return nxt

        return binary

    def op_binop(self, pc, op):
        return self._binary(pc, BINARY[op])

    def op_compare(self, pc, op):
        return self._binary(pc, COMPARE[op])

    def op_index(self, pc):
        return self._binary(pc, index)

    def op_not(self, pc, op):
        return self._unary(pc, lambda value: not value)

    def op_sign(self, pc, op):
        return self._unary(pc, lambda value: sign(op, value))

    def op_and_jump(self, pc, target):
        stack, nxt = self.stack, pc + 1

        def and_jump():
            if not stack[-1]:
                return target
            stack.pop()
            return nxt

        return and_jump

    def op_or_jump(self, pc, target):
        stack, nxt = self.stack, pc + 1

        def or_jump():
            if stack[-1]:
                return target
            stack.pop()
            return nxt

        return or_jump

    def op_list(self, pc, count):
        stack, nxt = self.stack, pc + 1

        def build_list():
            items = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            stack.append(items)
            return nxt

        return build_list

    def op_map(self, pc, keys):
        stack, nxt, count = self.stack, pc + 1, len(keys)

        def build_map():
            values = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            stack.append(dict(zip(keys, values, strict=True)))
            return nxt

        return build_map

    def op_exists(self, pc, root, count):
        get_root, stack, nxt = self._root(root), self.stack, pc + 1

        def exists():
            keys = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            try:
                target = get_root()
                for key in keys:
                    target = index(target, key)
            except NotDefinedError:
                stack.append(False)
            else:
                stack.append(True)
            return nxt

        return exists

    def op_call_pure(self, pc, node, ref):
        builtin, stack, nxt, count = PURE.get(node.name), self.stack, pc + 1, len(node.args)
        names = [key for key, _value in node.args]
        fn = builtin.fn if builtin is not None else None

        def call_pure():
            values = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            args = dict(zip(names, values, strict=True))
            if ref is not None:
                args["array"] = self._resolve(ref, args["array"])
            if builtin is None or fn is None:
                raise NotDefinedError(f"Function '{node.name}' is not defined")
            stack.append(fn(**builtin.bind(args)))
            return nxt

        return _positioned(call_pure, node)

    def _resolve(self, name: str, keys: list):
        if name not in self.vars:
            raise NotDefinedError(f"Variable '{name}' is not defined")
        target = self.vars[name]
        for key in keys:
            target = index(target, key)
        return target

    def op_call(self, pc, node):
        start, stack, count = self.rt.calls.start, self.stack, len(node.args)
        names = [key for key, _value in node.args]

        def call():
            values = stack[len(stack) - count :]
            del stack[len(stack) - count :]
            return start(node, dict(zip(names, values, strict=True)), pc)

        return _positioned(call, node)


def _positioned(fn, node: n.Node):
    line, column = node.line, node.column

    def positioned():
        try:
            return fn()
        except TScriptError as exc:
            raise exc.at(line, column) from None

    return positioned
