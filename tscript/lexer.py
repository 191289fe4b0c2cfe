"""A fast lexer for lark built from the grammar's own terminals, which also drops meaningless newlines."""

from __future__ import annotations

import re

from lark import Token
from lark.lexer import Lexer, PatternStr

_OPEN = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
_NL_BEFORE = frozenset({"_THEN", "_DO", "ELIF", "_ELSE"})
_NL_AFTER = frozenset({"_THEN", "_DO", "_ELSE"})
_WORD = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*\Z")
_BEFORE_KEY = frozenset({"LPAR", "COMMA", "LBRACE"})
_ASSIGN = re.compile(r"[ \t]*=(?!=)")


class LexError(Exception):
    """No terminal matches the text at `pos` (line and column 1-based)."""

    def __init__(self, char: str, line: int, column: int):
        super().__init__(char)
        self.char, self.line, self.column = char, line, column


class TScriptLexer(Lexer):
    """One alternation regex over every terminal, keywords looked up in a dict.

    Lark's generic lexer spends most of a parse on bookkeeping this grammar does not need. The
    newline rules live here too: newlines inside brackets, before `then`/`do`/`elif`/`else` and
    after `then`/`do`/`else` carry no meaning and never reach the parser.
    """

    __future_interface__ = 2

    def __init__(self, conf):
        terminals = sorted(
            conf.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
        )
        self.keywords = {
            t.pattern.value: t.name
            for t in terminals
            if isinstance(t.pattern, PatternStr) and _WORD.match(t.pattern.value)
        }
        parts = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.pattern.value not in self.keywords]
        # Leading blanks are part of every match: one regex call per token instead of two.
        self.regex = re.compile("[ \t]*(?:" + "|".join(parts) + ")")
        self.ignore = frozenset(conf.ignore)

    def lex(self, lexer_state, parser_state):
        return self.tokens(lexer_state.text.text)

    def tokens(self, text: str):
        """Yield the tokens of `text`, minus blanks, comments and meaningless newlines."""
        match, keywords, ignore, new = self.regex.match, self.keywords, self.ignore, Token._future_new
        pos, line, line_start, depth, end = 0, 1, 0, 0, len(text)
        held, prev = None, None
        while pos < end:
            m = match(text, pos)
            if m is None:
                pos = _skip_blanks(text, pos)
                if pos == end:
                    break
                raise LexError(text[pos], line, pos - line_start + 1)
            kind = m.lastgroup
            assert kind is not None  # every alternative of the pattern is a named group
            value = m.group(kind)
            start = m.start(kind)
            pos = m.end()
            if kind == "NAME":
                kind = keywords.get(value, kind)
                if kind != "NAME" and depth and prev in _BEFORE_KEY and _names_a_key(text, pos):
                    kind = "NAME"  # `f( end=3 )`, `{ type = 1 }`: there a word before '=' can only be a name
            elif kind == "_NL":
                if not depth and prev not in _NL_AFTER:
                    held = new(kind, value, start, line, start - line_start + 1)
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
                continue
            elif kind in ignore:
                continue
            elif kind == "STRING" and "\n" in value:
                # the token starts where the string opens; the lines it spans count after it
                token = new(kind, value, start, line, start - line_start + 1)
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
                if held is not None:
                    yield held
                    held = None
                prev = kind
                yield token
                continue
            elif kind in _OPEN:
                depth += 1
            elif kind in _CLOSE and depth:
                depth -= 1
            if held is not None:
                if kind not in _NL_BEFORE:
                    yield held
                held = None
            prev = kind
            yield new(kind, value, start, line, start - line_start + 1)
        if held is not None:
            yield held


def _names_a_key(text: str, pos: int) -> bool:
    """True when a single `=` (not `==`) follows `pos`: the word before it is an argument name or map key."""
    return _ASSIGN.match(text, pos) is not None


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos
