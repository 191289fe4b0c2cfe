"""A fast lexer for lark built from the grammar's own terminals, which also drops meaningless newlines."""

from __future__ import annotations

import re
import re._constants as _regex_constants  # type: ignore[import-not-found] # no stubs; the parse of a regexp
import re._parser as _regex_parser  # type: ignore[import-not-found]

from lark import Token
from lark.lexer import Lexer, PatternStr

_OPEN = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSE = frozenset({"RPAR", "RSQB", "RBRACE"})
_NL_BEFORE = frozenset({"_THEN", "_DO", "ELIF", "_ELSE"})
_NL_AFTER = frozenset({"_THEN", "_DO", "_ELSE"})
_WORD = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*\Z")
_BEFORE_KEY = frozenset({"LPAR", "COMMA", "LBRACE"})
_ASSIGN = re.compile(r"[ \t]*=(?!=)")
_BLANKS = re.compile(r"[ \t]+")


class LexError(Exception):
    """No terminal matches the text at `pos` (line and column 1-based)."""

    def __init__(self, char: str, line: int, column: int):
        super().__init__(char)
        self.char, self.line, self.column = char, line, column


class TScriptLexer(Lexer):
    """Regex alternations over the grammar's terminals, chosen by a token's first character; keywords are
    looked up in a dict.

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
        regexps = [(t.name, t.pattern.to_regexp()) for t in terminals if t.pattern.value not in self.keywords]
        # Per first character, an alternation of only the terminals a token starting with it can be, in
        # lark's order (so the same one wins): Python's regex engine tries a pattern's alternatives one by
        # one. A character outside ASCII tries them all.
        firsts = [(regexp, _first_characters(regexp[1])) for regexp in regexps]
        self.fallback = _alternation(regexps)
        alternations: dict[tuple, tuple] = {}
        self.patterns = {}
        for char in sorted(_ASCII):
            candidates = tuple(regexp for regexp, chars in firsts if char in chars)
            if candidates not in alternations:
                alternations[candidates] = _alternation(list(candidates))
            self.patterns[char] = alternations[candidates]
        self.ignore = frozenset(conf.ignore)

    def lex(self, lexer_state, parser_state):
        return self.tokens(lexer_state.text.text)

    def tokens(self, text: str):
        """Yield the tokens of `text`, minus blanks, comments and meaningless newlines."""
        patterns, fallback, keywords, ignore = self.patterns, self.fallback, self.keywords, self.ignore
        blanks, new = _BLANKS.match, str.__new__
        pos, line, line_start, depth, end = 0, 1, 0, 0, len(text)
        held, prev = None, None
        while pos < end:
            char = text[pos]
            if char == " " or char == "\t":
                pos = blanks(text, pos).end()  # type: ignore[union-attr] # a blank always matches
                if pos == end:
                    break
                char = text[pos]
            match, kinds = patterns.get(char, fallback)
            m = match(text, pos)
            if m is None:
                raise LexError(char, line, pos - line_start + 1)
            kind = kinds[m.lastindex]  # every alternative is a group of its own
            value = m.group()
            start, pos = pos, m.end()
            if kind == "NAME":
                kind = keywords.get(value, kind)
                if kind != "NAME" and depth and prev in _BEFORE_KEY and _names_a_key(text, pos):
                    kind = "NAME"  # `f( end=3 )`, `{ type = 1 }`: there a word before '=' can only be a name
            elif kind == "_NL":
                if not depth and prev not in _NL_AFTER:
                    held = _token(kind, value, start, line, start - line_start + 1)
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
                continue
            elif kind in ignore:
                continue
            elif kind == "STRING" and "\n" in value:
                # the token starts where the string opens; the lines it spans count after it
                token = _token(kind, value, start, line, start - line_start + 1)
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
            token = new(Token, value)  # what _token() does, inline: this line runs for nearly every token
            token.type, token.value, token.start_pos = kind, value, start
            token.line, token.column = line, start - line_start + 1
            token.end_line = token.end_column = token.end_pos = None
            yield token
        if held is not None:
            yield held


def _token(kind: str, value: str, start: int, line: int, column: int) -> Token:
    """A lark token, made without going through lark's constructor (a parse makes one per word and sign)."""
    token = str.__new__(Token, value)
    token.type, token.value, token.start_pos, token.line, token.column = kind, value, start, line, column
    token.end_line = token.end_column = token.end_pos = None
    return token


def _names_a_key(text: str, pos: int) -> bool:
    """True when a single `=` (not `==`) follows `pos`: the word before it is an argument name or map key."""
    return _ASSIGN.match(text, pos) is not None


def _alternation(regexps: list[tuple[str, str]]):
    """(match, kinds): the `match` of a pattern trying each regexp in turn, and the terminal of each of its
    groups by number (each regexp is a group; `lastindex` names the one that matched)."""
    pattern = re.compile("|".join(f"({regexp})" for _name, regexp in regexps) or "(?!)")  # (?!) never matches
    kinds: list[str | None] = [None] * (pattern.groups + 1)
    number = 1
    for name, regexp in regexps:
        kinds[number] = name
        number += 1 + re.compile(regexp).groups
    return pattern.match, kinds


_ASCII = frozenset(map(chr, range(128)))


def _first_characters(regexp: str) -> frozenset[str]:
    """The ASCII characters a match of `regexp` may start with: a superset, all of them where unsure."""
    try:
        parsed = _regex_parser.parse(regexp)
        if parsed.state.flags & re.IGNORECASE:
            raise _Unsure  # (?i) for the whole pattern: its literals stand for both cases
        chars, may_be_empty = _firsts(parsed)
    except _Unsure:
        return _ASCII
    return _ASCII if may_be_empty else chars


class _Unsure(Exception):
    pass


def _firsts(sequence) -> tuple[frozenset[str], bool]:
    """(characters the sequence's match may start with, whether it may match the empty string)."""
    found: frozenset[str] = frozenset()
    for op, arg in sequence:
        chars, may_be_empty = _first_of(op, arg)
        found |= chars
        if not may_be_empty:
            return found, False
    return found, True


def _first_of(op, arg) -> tuple[frozenset[str], bool]:
    c = _regex_constants
    if op is c.LITERAL:
        return frozenset({chr(arg)}) & _ASCII, False
    if op is c.NOT_LITERAL:
        return _ASCII - {chr(arg)}, False
    if op is c.ANY:
        return _ASCII, False
    if op is c.IN:
        return _in_set(arg), False
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, sequence = arg
        if add_flags or del_flags:
            raise _Unsure  # (?i:...) and the like
        return _firsts(sequence)
    if op is c.ATOMIC_GROUP:
        return _firsts(arg)
    if op is c.BRANCH:
        results = [_firsts(branch) for branch in arg[1]]
        return frozenset().union(*(chars for chars, _empty in results)), any(empty for _chars, empty in results)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _high, sequence = arg
        chars, may_be_empty = _firsts(sequence)
        return chars, may_be_empty or low == 0
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return frozenset(), True  # takes no characters; what it checks only narrows the match
    raise _Unsure


def _in_set(items) -> frozenset[str]:
    c = _regex_constants
    chars: set[str] = set()
    negate = False
    for op, arg in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            chars.add(chr(arg))
        elif op is c.RANGE:
            chars.update(map(chr, range(arg[0], arg[1] + 1)))
        elif op is c.CATEGORY and arg in _CATEGORIES:
            chars.update(ch for ch in _ASCII if _CATEGORIES[arg].match(ch))
        else:
            raise _Unsure
    found = frozenset(chars) & _ASCII
    return _ASCII - found if negate else found


_CATEGORIES = {
    _regex_constants.CATEGORY_DIGIT: re.compile(r"\d"),
    _regex_constants.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    _regex_constants.CATEGORY_SPACE: re.compile(r"\s"),
    _regex_constants.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    _regex_constants.CATEGORY_WORD: re.compile(r"\w"),
    _regex_constants.CATEGORY_NOT_WORD: re.compile(r"\W"),
}
