"""A lean loop over lark's LALR tables: the same parse as `Lark.parse`, with less bookkeeping per token."""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain

from lark import Lark, Token, Tree
from lark.grammar import Rule
from lark.parsers.lalr_analysis import Shift


class ParseError(Exception):
    """The driver found no action for `token`; `stack` is what was parsed so far, `expected` the token types
    the parser would have taken instead."""

    def __init__(self, token: Token, stack: list, expected: frozenset = frozenset()):
        super().__init__(token.type)
        self.token, self.stack, self.expected = token, stack, expected


class Driver:
    """Runs lark's LALR tables for this grammar with a lean loop.

    Same tables as `Lark.parse`, minus the generic bookkeeping: per state, each token type maps straight
    to a shift target or to (size, rule name, reducer). The reducers are built here from the grammar
    rather than taken from lark's tree builder: they drop the punctuation the grammar filters out and
    splice in the children of inlined rules (`_name`, `x*`) as lark's builder does, but an inlined
    rule's result is a plain list rather than a `Tree` that is taken apart one reduction later. Each
    reduction calls the transformer's method for its rule (or its alias) directly.
    """

    def __init__(self, lark: Lark):
        inner = lark.parser.parser.parser
        table = inner.parse_table
        self.lexer = lark.parser.lexer
        self.start, self.end = table.start_states["start"], table.end_states["start"]
        transformer = lark.options.transformer
        rules = {rule: (len(rule.expansion), rule.origin.name, _reducer(rule, transformer)) for rule in inner.callbacks}
        self.states = {
            state: {sym: (True, arg) if action is Shift else (False, rules[arg]) for sym, (action, arg) in row.items()}
            for state, row in table.states.items()
        }

    def parse(self, text: str):
        states, end = self.states, self.end
        state_stack = [self.start]
        value_stack: list = []  # tokens and what the grammar's callbacks built of them
        push_state, push_value = state_stack.append, value_stack.append
        state = self.start
        last = None
        for token in chain(self.lexer.tokens(text), (None,)):
            if token is None:  # the end of the input, where the last token was
                token = Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0, 1, 1)
            last = token
            kind = token.type
            while True:
                try:
                    shift, arg = states[state][kind]
                except KeyError:
                    raise ParseError(token, value_stack, frozenset(states[state])) from None
                if shift:
                    push_state(arg)
                    push_value(token)
                    state = arg
                    break
                size, origin, reducer = arg  # a reduction: about one per token, so inline
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                state = states[state_stack[-1]][origin][1]
                push_state(state)
                push_value(reducer(children))
                if state == end:  # only ever reached on the end of the input
                    return value_stack[-1]
        raise AssertionError("the parse tables end every input on $END")


def _reducer(rule: Rule, transformer) -> Callable[[list], object]:
    """The function that turns the values matched by `rule`'s expansion into what the parse keeps of it.

    Like lark's tree builder: terminals the grammar filters out (anonymous punctuation and `_NAME`
    terminals) are dropped, the values of inlined rules are spliced in, a `?rule` matching one kept
    value is that value, and the rest goes to the transformer's method for the rule.
    """
    keep = [
        (i, not sym.is_term and sym.name.startswith("_"))
        for i, sym in enumerate(rule.expansion)
        if rule.options.keep_all_tokens or not (sym.is_term and getattr(sym, "filter_out", False))
    ]
    name = rule.alias or rule.origin.name
    build: Callable[[list], object]
    if name.startswith("_"):
        build = list  # inlined: its values are spliced into the rule that uses it
    else:
        build = getattr(transformer, name, None) or (lambda values: Tree(name, values))  # no method: a Tree
    if rule.options.expand1 and not rule.alias:
        inner = build

        def build(values: list) -> object:
            return values[0] if len(values) == 1 else inner(values)

    if all(not splice for _i, splice in keep):
        if len(keep) == len(rule.expansion):
            return build  # every value is kept as it is
        indices = tuple(i for i, _splice in keep)
        if len(indices) == 1:
            (only,) = indices
            return lambda values: build([values[only]])
        return lambda values: build([values[i] for i in indices])

    def splice_and_build(values):
        kept: list = []
        for i, splice in keep:
            if splice:
                kept += values[i]
            else:
                kept.append(values[i])
        return build(kept)

    return splice_and_build
