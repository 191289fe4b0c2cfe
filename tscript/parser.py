"""Parse TScript source into nodes (`parse`) and report every problem without raising (`check`)."""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import stat
import sys
from datetime import timedelta

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

from . import nodes as n
from .errors import Diagnostic, TScriptSyntaxError
from .lalr import Driver, ParseError
from .lexer import LexError, TScriptLexer
from .modules import describe

BLOCK_OPTIONS = ("description", "expected_time", "max_time")

#: How deeply blocks, `if`s, loops and expressions may nest: the compiler and the runner recurse
#: once or twice per level, so this keeps them well inside Python's recursion limit, also when
#: the host calls them from a deep stack (a web request, a test runner).
MAX_NESTING = 200
_TOO_DEEP = f"Nested too deeply: at most {MAX_NESTING} levels of blocks, ifs, loops and expressions"


def _pos(tok: Token | n.Node) -> tuple[int, int]:
    line, column = tok.line, tok.column
    return (line if line is not None else 1), (column if column is not None else 1)


def _duration(text: str) -> timedelta:
    parts = [int(p) for p in text.split(":")]
    parts = [0] * (4 - len(parts)) + parts
    return timedelta(days=parts[0], hours=parts[1], minutes=parts[2], seconds=parts[3])


class _Builder(Transformer):
    """Turn lark's parse (run inline by the LALR parser) into `nodes` objects."""

    def start(self, items):
        return list(items)

    # statements

    def assign(self, items):
        target, value = items
        if not isinstance(target, (n.Var, n.ModuleValue, n.Index)):
            raise _error("Only a name, a module value or an indexed name can be assigned to", target)
        return n.Assign(target.line, target.column, target, value)

    def expr_stmt(self, items):
        return n.ExprStmt(items[0].line, items[0].column, items[0])

    def if_stmt(self, items):
        tok, cond, body, *rest = items
        branches, orelse = [(cond, body)], None
        for item in rest:
            if isinstance(item, tuple):
                branches.append(item)
            else:
                orelse = item
        return n.If(*_pos(tok), branches, orelse)

    def elif_clause(self, items):
        return (items[1], items[2])

    def else_clause(self, items):
        return items[0]

    def while_stmt(self, items):
        return n.While(*_pos(items[0]), items[1], items[2])

    def block(self, items):
        tok, rest = items[0], items[1:-1]
        options: dict = dict(item for item in rest if isinstance(item, tuple))
        body = [item for item in rest if not isinstance(item, tuple)]
        return n.Block(*_pos(tok), body, **options)

    def option(self, items):
        name, value = items
        if name not in BLOCK_OPTIONS:
            raise _error(f"Unknown block option '{name}' (allowed: {', '.join(BLOCK_OPTIONS)})", name)
        if not isinstance(value, n.Const):
            raise _error(f"Block option '{name}' must be a constant", value)
        return (str(name), _option_value(name, value))

    def label(self, items):
        return n.Label(*_pos(items[0]), items[0][1:])

    def goto(self, items):
        return n.Goto(*_pos(items[0]), str(items[1]))

    def break_stmt(self, items):
        return n.Jump(*_pos(items[0]), "break")

    def continue_stmt(self, items):
        return n.Jump(*_pos(items[0]), "continue")

    def pass_stmt(self, items):
        return n.Jump(*_pos(items[0]), "pass")

    # expressions

    def expr(self, items):
        try:
            node, _end = _Precedence(items).parse(0, 0)
        except RecursionError:
            raise _error(_TOO_DEEP, items[0]) from None
        return node

    def index(self, items):
        return n.Index(*_pos(items[1]), items[0], items[2])

    def int_const(self, items):
        return n.Const(*_pos(items[0]), int(items[0]))

    def float_const(self, items):
        return n.Const(*_pos(items[0]), float(items[0]))

    def string_const(self, items):
        return n.Const(*_pos(items[0]), items[0][1:-1])

    def duration_const(self, items):
        return n.Const(*_pos(items[0]), _duration(items[0]))

    def true_const(self, items):
        return n.Const(*_pos(items[0]), True)

    def false_const(self, items):
        return n.Const(*_pos(items[0]), False)

    def none_const(self, items):
        return n.Const(*_pos(items[0]), None)

    def variable(self, items):
        return n.Var(*_pos(items[0]), str(items[0]))

    def module_value(self, items):
        module, name = items[0].split(".")
        return n.ModuleValue(*_pos(items[0]), module, name)

    def call(self, items):
        return n.Call(*_pos(items[0]), None, str(items[0]), _arguments(items[1:]), _keywords(items[1:]))

    def module_call(self, items):
        module, name = items[0].split(".")
        return n.Call(*_pos(items[0]), module, name, _arguments(items[1:]), _keywords(items[1:]))

    def exists(self, items):
        target = items[1]
        if not _is_reference(target):
            raise _error("exists() takes a name, a module value or an indexed name", target)
        return n.Exists(*_pos(items[0]), target)

    def array(self, items):
        return n.Array(*_pos(items[0]), items[1:])

    def map(self, items):
        return n.Map(*_pos(items[0]), _arguments(items[1:], what="key"))

    def kwarg(self, items):
        return (items[0], items[1])

    pair = kwarg


# Binding power of binary operators (higher binds tighter); `not` sits between `and` and comparisons.
_BINARY = {
    "OR": 1, "AND": 2, "COMPARE": 4, "BAR": 5, "AMP": 6, "PLUS": 7, "MINUS": 7, "DOT": 7,
    "STAR": 8, "SLASH": 8, "PERCENT": 8, "CARET": 9,
}  # fmt: skip
_NOT_POWER = 3


class _Precedence:
    """Arrange the flat operand/operator list the grammar produces into a tree (precedence climbing)."""

    def __init__(self, items: list):
        self.items = items

    def parse(self, pos: int, min_power: int) -> tuple[n.Node, int]:
        node, pos = self.prefix(pos)
        compared = False
        while pos < len(self.items):
            op = self.items[pos]
            power = _BINARY[op.type]
            if power < min_power:
                break
            if op.type == "COMPARE" and compared:
                raise _error(f"Unexpected {str(op)!r}: comparisons do not chain; combine them with 'and'", op)
            right, pos = self.parse(pos + 1, power if op.type == "CARET" else power + 1)
            node = _binary(op, node, right)
            compared = op.type == "COMPARE"
        return node, pos

    def prefix(self, pos: int) -> tuple[n.Node, int]:
        item = self.items[pos]
        if not isinstance(item, Token):
            return item, pos + 1
        if item.type in ("NOT", "NOT_CAP"):
            operand, pos = self.parse(pos + 1, _NOT_POWER)
            return n.Not(*_pos(item), operand), pos
        operand, pos = self.prefix(pos + 1)
        if isinstance(operand, n.Const) and type(operand.value) in (int, float):
            return n.Const(*_pos(item), -operand.value if item == "-" else operand.value), pos
        return n.Sign(*_pos(item), str(item), operand), pos


def _binary(op: Token, left: n.Node, right: n.Node) -> n.Node:
    if op.type in ("OR", "AND"):
        return n.Logic(*_pos(op), str(op), left, right)
    if op.type == "COMPARE":
        return n.Compare(*_pos(op), str(op), left, right)
    return n.BinOp(*_pos(op), str(op), left, right)


def _is_reference(node: n.Node) -> bool:
    while isinstance(node, n.Index):
        node = node.target
    return isinstance(node, (n.Var, n.ModuleValue))


def _arguments(pairs, what: str = "argument") -> list[tuple[str, n.Node]]:
    seen = set()
    for name, _ in pairs:
        if name in seen:
            raise _error(f"Duplicate {what} '{name}'", name)
        seen.add(name)
    return [(str(name), value) for name, value in pairs]


def _keywords(pairs) -> tuple[tuple[int, int], ...]:
    return tuple(_pos(name) for name, _ in pairs)


def _option_value(name: str, const: n.Const):
    value = const.value
    if name == "description":
        if not isinstance(value, str):
            raise _error("Block option 'description' must be a string", const)
        return value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if type(value) in (int, float) and value >= 0:
        return value
    raise _error(f"Block option '{name}' must be a duration such as 0:30", const)


class _StaticError(Exception):
    """Raised inside the builder; turned into a TScriptSyntaxError once the source is at hand."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _error(message: str, where) -> _StaticError:
    return _StaticError(message, where.line, where.column)


@functools.cache
def _driver() -> Driver:
    return Driver(_lark())


@functools.cache
def _lark() -> Lark:
    # Built once per process, and its tables cached on disk: building them takes longer than
    # parsing most scripts, and dominates `python -m tscript check`.
    options = {"parser": "lalr", "lexer": TScriptLexer, "transformer": _Builder(), "maybe_placeholders": False}
    path = os.path.join(os.path.dirname(__file__), "grammar.lark")
    with open(path, encoding="utf-8") as handle:
        grammar = handle.read()
    cache = table_cache_path(grammar)
    if cache is not None:
        options["cache"] = cache
    return Lark(grammar, **options)


def table_cache_path(grammar: str) -> str | None:
    """Where the parser tables for `grammar` are cached, or None when there is no safe place.

    Lark stores its tables with pickle, and loading a pickle runs code, so the file must be one
    only this user can have written: a directory of ours (`TSCRIPT_CACHE_DIR`, else
    `$XDG_CACHE_HOME/tscript` or `~/.cache/tscript`) that we own and nobody else can write, never
    the shared temporary directory lark uses by default. The name carries a hash of the grammar and
    the lark and Python versions, so a changed grammar or an upgrade never loads stale tables;
    `TSCRIPT_CACHE_DIR=` (empty) turns the cache off.
    """
    folder = os.environ.get("TSCRIPT_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "tscript")
    if not folder:
        return None
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not _private(folder):
            return None
        key = hashlib.sha256(f"{grammar}\0{lark.__version__}\0{sys.version_info[:2]}".encode()).hexdigest()[:32]
        path = os.path.join(folder, f"grammar-{key}.lark")
        if os.path.lexists(path) and not _private(path):
            return None
    except OSError:
        return None
    return path


def _private(path: str) -> bool:
    info = os.lstat(path)
    return not stat.S_ISLNK(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def source_hash(source: str) -> str:
    """The hash that ties a saved state to the source it was made from."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse(source: str) -> n.Program:
    """Parse a script; raises TScriptSyntaxError naming the line and column of the first problem."""
    program, problems = _analyse(source)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        first = errors[0]
        raise TScriptSyntaxError(first.message, first.line, first.column, source)
    assert program is not None  # only a script with errors has no tree
    return program


def check(source: str, modules=None, warnings: bool = False) -> list[Diagnostic]:
    """The errors in a script (empty when it is valid), never raising; a parse stops at the first syntax error.

    With `warnings=True` the list also holds warnings (`severity == "warning"`): jumps to unknown
    jump points, lines indented under a one-statement body and, when `modules` is given (module
    names, Module objects or a description from `tscript.modules.describe`), unknown modules,
    unknown functions of described modules and keyword arguments those functions do not take.
    All of these would only fail when run.
    """
    try:
        program, problems = _analyse(source)
        if modules is not None and program is not None:
            problems = problems + _module_warnings(program, describe(modules), source)
    except Exception as exc:  # noqa: BLE001 - check() must never raise, whatever the input
        return [Diagnostic.make(f"Internal error while checking: {exc!r}", 1, 1, str(source))]
    if not warnings:
        problems = [p for p in problems if p.severity == "error"]
    return sorted(problems, key=lambda d: (d.severity != "error", d.line, d.column))


@functools.lru_cache(maxsize=128)
def _analyse(source: str) -> tuple[n.Program | None, list[Diagnostic]]:
    if not isinstance(source, str):
        raise TypeError("TScript source must be a str")
    try:
        body = _driver().parse(source)
    except (UnexpectedInput, ParseError, LexError, _StaticError, VisitError, RecursionError) as exc:
        return None, [_diagnose(exc, source)]
    program = n.Program(body)
    return program, _Structure(source, program).run()


def _diagnose(exc: Exception, source: str) -> Diagnostic:
    if isinstance(exc, VisitError):
        exc = exc.orig_exc
    if isinstance(exc, _StaticError):
        return Diagnostic.make(exc.message, exc.line, exc.column, source)
    if isinstance(exc, RecursionError):
        return Diagnostic.make(_TOO_DEEP, 1, 1, source)
    if isinstance(exc, LexError):
        found = Diagnostic.make(_bad_character(exc.char), exc.line, exc.column, source)
    elif isinstance(exc, ParseError):
        found = _unexpected_token(exc.token, exc.stack, source, exc.expected)
    elif isinstance(exc, UnexpectedToken):
        found = _unexpected_token(exc.token, _value_stack(exc), source, frozenset(exc.expected))
    else:
        line, column = _end_position(source)
        found = Diagnostic.make("Unexpected end of script", line, column, source)
    return _runaway_string(found, source) or found


def _runaway_string(found: Diagnostic, source: str) -> Diagnostic | None:
    """A string that spans lines and closes on the line of the error: most likely its own quote is missing.

    Strings may span lines, so `x = "abc` followed by `y = "def"` lexes as one string up to the
    second line's first quote; the error then shows up later on that line, far from the cause.
    """
    runaway = None
    try:
        for token in _driver().lexer.tokens(source):
            if token.line > found.line:
                break
            if token.type == "STRING" and "\n" in token and token.line + token.count("\n") == found.line:
                runaway = token
    except LexError:
        pass
    if runaway is None:
        return None
    close = len(runaway) - runaway.rindex("\n") - 1
    if close >= found.column:
        return None
    message = f"Unterminated string: this {runaway[0]} is only closed at line {found.line}, column {close}"
    return Diagnostic.make(message, runaway.line, runaway.column, source)


def _bad_character(char: str) -> str:
    if char in "\"'":
        return f"Unterminated string: no closing {char}"
    if char == ";":
        return "';' is not a statement separator: put each statement on its own line"
    if char == ":":
        return "Bad duration or jump point: write m:s, h:m:s or d:h:m:s, or :name at the start of a line"
    return f"Unexpected character {char!r}"


_DESCRIBE = {
    "_NL": "end of line",
    "$END": "end of script",
    "NAME": "name {!r}",
    "INT": "number {}",
    "FLOAT": "number {}",
    "STRING": "string {}",
    "DURATION": "duration {}",
    "MODREF": "module reference {!r}",
    "LABEL": "jump point {!r}",
}


def _describe(tok: Token) -> str:
    return _DESCRIBE.get(tok.type, "{!r}").format(str(tok))


def _unexpected_token(tok: Token, stack: list, source: str, expected: frozenset) -> Diagnostic:
    line, column = _pos(tok) if tok.type != "$END" else _end_position(source)
    arrow = _arrow(tok, source)
    if arrow is not None:
        return Diagnostic.make(arrow[0], line, column + arrow[1], source)
    message = f"Unexpected {_describe(tok)}"
    opener = _unclosed(stack, line)
    if opener is not None:
        hint = f"the {opener[0]!r} at line {opener[1]}, column {opener[2]} is still open"
    else:
        hint = (
            _missing_keyword(tok, stack, expected)
            or _hint(tok, stack)
            or (_open_at_end(stack) if tok.type == "$END" else "")
        )
    return Diagnostic.make(f"{message}: {hint}" if hint else message, line, column, source)


_ARROWS = {"=>": ">=", "=<": "<="}


def _arrow(tok: Token, source: str) -> tuple[str, int] | None:
    """`=>` or `=<` written for a comparison: (message, column shift to the '=')."""
    start = getattr(tok, "start_pos", None)
    if start is None or tok.type not in ("EQUAL", "COMPARE"):
        return None
    for shift in (0, -1):
        written = source[start + shift : start + shift + 2]
        if written in _ARROWS and start + shift >= 0:
            return f"'{written}' is not an operator: write '{_ARROWS[written]}'", shift
    return None


def _missing_keyword(tok: Token, stack: list, expected: frozenset) -> str:
    """The condition of an `if`, `elif` or `while` ended without its `then` or `do`."""
    opener = None
    for item in reversed(stack):
        if isinstance(item, Token) and item.type in ("IF", "ELIF", "WHILE", "_THEN", "_DO", "BEGIN", "LPAR"):
            opener = item
            break
    keyword = {"IF": "_THEN", "ELIF": "_THEN", "WHILE": "_DO"}.get(opener.type) if opener is not None else None
    if keyword is not None and keyword in expected:
        if tok.type == "EQUAL":
            return "'=' assigns; compare with '=='"
        return f"'{opener}' needs '{keyword[1:].lower()}' after its condition"
    if tok.type == "END" and not any(isinstance(t, Token) and t.type == "BEGIN" for t in stack):
        return (
            "no block is open; the body of an 'if' or 'while' is one statement, so for several lines write "
            "'then begin()' or 'do begin()' and close with 'end'"
        )
    return ""


def _value_stack(exc: UnexpectedToken) -> list:
    try:
        return list(exc.interactive_parser.parser_state.value_stack)
    except AttributeError:
        return []


def _unclosed(stack: list, line: int) -> tuple[str, int, int] | None:
    """The innermost bracket opened on an earlier line and still open when the parser gave up."""
    closers = {"RPAR": "LPAR", "RSQB": "LSQB", "RBRACE": "LBRACE"}
    opened = []
    for item in stack:
        if not isinstance(item, Token):
            continue
        if item.type in ("LPAR", "LSQB", "LBRACE"):
            opened.append(item)
        elif item.type in closers and opened and opened[-1].type == closers[item.type]:
            opened.pop()
    if opened and _pos(opened[-1])[0] < line:
        return (str(opened[-1]), *_pos(opened[-1]))
    return None


def _open_at_end(stack: list) -> str:
    opener = _unclosed(stack, 1 << 30)
    return f"the {opener[0]!r} at line {opener[1]}, column {opener[2]} is never closed" if opener else ""


def _hint(tok: Token, stack: list) -> str:
    last = stack[-1] if stack else None
    before = stack[-2] if len(stack) > 1 else None
    if isinstance(last, Token) and last.type == "COMMA" and tok.type in ("RPAR", "RSQB", "RBRACE"):
        return "no trailing commas"
    if tok.type == "EQUAL":
        return "an assignment is a statement, not a value, and takes a single name or indexed name"
    if isinstance(last, Token) and last.type == "LPAR" and isinstance(before, Token):
        if before.type in ("NAME", "MODREF") and tok.type != "RPAR":
            return "calls take keyword arguments only, such as len( array=x )"
    if tok.type == "DOT" or (isinstance(last, Token) and last.type == "DOT"):
        return "a float needs digits on both sides of the dot, and '.' joins two values"
    if tok.type == "$END" and any(isinstance(t, Token) and t.type == "BEGIN" for t in stack):
        opened = [t for t in stack if isinstance(t, Token) and t.type == "BEGIN"][-1]
        return f"the block opened at line {opened.line} has no 'end'"
    if tok.type == "COMPARE":
        return "comparisons do not chain; combine them with 'and'"
    return ""


def _end_position(source: str) -> tuple[int, int]:
    lines = source.rstrip().splitlines() or [""]
    return len(lines), len(lines[-1]) + 1


class _Structure:
    """Checks that need the whole tree: jump points only at the top level, loops around break."""

    def __init__(self, source: str, program: n.Program):
        self.source, self.program = source, program
        self.problems: list[Diagnostic] = []
        self.gotos: list[n.Goto] = []

    def run(self) -> list[Diagnostic]:
        deep = _too_deep(self.program.body)
        if deep is not None:
            self._report(_TOO_DEEP, deep)
            return self.problems
        self._one_statement_bodies(self.program.body)
        for position, stmt in enumerate(self.program.body):
            if isinstance(stmt, n.Label):
                self._label(stmt, position)
            else:
                self._visit(stmt, loops=0)
        for goto in self.gotos:
            if goto.label not in self.program.labels:
                self._report(f"Unknown jump point '{goto.label}' (fatal when the goto runs)", goto, "warning")
        return self.problems

    def _label(self, stmt: n.Label, position: int) -> None:
        if stmt.name in self.program.labels:
            self._report(f"Jump point ':{stmt.name}' is defined twice", stmt)
        else:
            self.program.labels[stmt.name] = position

    def _visit(self, stmt: n.Node, loops: int) -> None:
        if isinstance(stmt, n.Label):
            self._report(f"Jump point ':{stmt.name}' is inside a block; jump points are top-level only", stmt)
        elif isinstance(stmt, n.Jump) and stmt.kind != "pass" and not loops:
            self._report(f"'{stmt.kind}' is not inside a while loop", stmt)
        elif isinstance(stmt, n.Goto):
            self.gotos.append(stmt)
        elif isinstance(stmt, n.Block):
            self._one_statement_bodies(stmt.body)
            for inner in stmt.body:
                self._visit(inner, loops)
        elif isinstance(stmt, n.While):
            self._visit(stmt.body, loops + 1)
        elif isinstance(stmt, n.If):
            for _cond, body in stmt.branches:
                self._visit(body, loops)
            if stmt.orelse is not None:
                self._visit(stmt.orelse, loops)

    def _one_statement_bodies(self, body: list[n.Node]) -> None:
        """Warn about a line indented under an `if`/`while` body on its own line: it is not part of the body."""
        for stmt, after in zip(body, body[1:], strict=False):
            if isinstance(stmt, n.If):
                inner = stmt.orelse if stmt.orelse is not None else stmt.branches[-1][1]
            elif isinstance(stmt, n.While):
                inner = stmt.body
            else:
                continue
            if isinstance(inner, n.Block) or inner.line == stmt.line:
                continue
            if after.column == inner.column > stmt.column:
                word = "if" if isinstance(stmt, n.If) else "while"
                message = (
                    f"This line is not part of the '{word}' at line {stmt.line}: its body is one statement; "
                    "for several lines write 'then begin()' or 'do begin()' and close with 'end'"
                )
                self._report(message, after, "warning")

    def _report(self, message: str, where: n.Node, severity: str = "error") -> None:
        self.problems.append(Diagnostic.make(message, where.line, where.column, self.source, severity))


def _module_warnings(program: n.Program, modules: dict, source: str) -> list[Diagnostic]:
    found = []

    def warn(message: str, node: n.Node) -> None:
        found.append(Diagnostic.make(message, node.line, node.column, source, "warning"))

    for node in walk(program.body):
        module = getattr(node, "module", None)
        if not isinstance(node, (n.Call, n.ModuleValue)) or module is None:
            continue
        if module not in modules:
            warn(f"Unknown module '{module}'{_did_you_mean(module, modules)}", node)
            continue
        functions = modules[module]
        if not isinstance(node, n.Call) or functions is None:
            continue
        if node.name not in functions:
            warn(f"Module '{module}' has no function '{node.name}'{_did_you_mean(node.name, functions)}", node)
            continue
        takes = functions[node.name]
        if takes is None:
            continue
        for (name, _value), (line, column) in zip(node.args, node.keywords, strict=True):
            if name not in takes:
                listed = f"it takes {', '.join(takes)}" if takes else "it takes no arguments"
                message = f"{module}.{node.name}() has no parameter '{name}' ({listed})"
                found.append(Diagnostic.make(message, line, column, source, "warning"))
    return found


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _too_deep(body: list[n.Node]) -> n.Node | None:
    """The first node nested more than MAX_NESTING levels deep, or None (iterative: depth is the problem)."""
    stack = [(node, 1) for node in reversed(body)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_NESTING:
            return node
        depth += 1
        for name in node.__slots__:
            value = getattr(node, name)
            if isinstance(value, n.Node):
                push((value, depth))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, tuple):
                        push((item[1], depth))
                        if isinstance(item[0], n.Node):
                            push((item[0], depth))
                    else:
                        push((item, depth))
    return None


def walk(items):
    """Every node in `items` and below, depth first in source order."""
    stack = list(reversed(items))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed([x for x in node if isinstance(x, (n.Node, tuple))]))
            continue
        if not isinstance(node, n.Node):
            continue
        yield node
        children = []
        for name in node.__slots__:
            value = getattr(node, name)
            if isinstance(value, (n.Node, tuple)):
                children.append(value)
            elif isinstance(value, list):
                children.extend(value)
        stack.extend(reversed(children))
