"""TScript operators on plain values; each raises OperandError (without a position) on bad operands."""

from __future__ import annotations

import operator

from .errors import NotDefinedError, OperandError
from .values import NUMERIC, to_text, type_name

_INT_TYPES = frozenset({int, bool})
_NUMBER_KEYS = frozenset({int, float})
#: The largest integer `^` and `*` produce, in bits (about 301,000 decimal digits): a script that needs more is
#: looping by mistake, and computing it would stall the worker that runs the job.
MAX_INTEGER_BITS = 1_000_000
#: The longest string `.` produces, in characters.
MAX_TEXT_LENGTH = 1_000_000


def operand_error(op: str, left, right) -> OperandError:
    """The error for an operator given a value it does not take, naming the side."""
    side, value = ("left", left) if type(left) not in NUMERIC else ("right", right)
    return OperandError(f"Operator '{op}' does not take {_article(value)} on its {side} side")


def _article(value) -> str:
    name = type_name(value)
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _arithmetic(op: str, fn):
    def apply(a, b):
        if type(a) in NUMERIC and type(b) in NUMERIC:
            try:
                return fn(a, b)
            except ZeroDivisionError:
                raise OperandError(f"Operator '{op}': division by zero") from None
            except (OverflowError, ValueError) as exc:
                raise OperandError(f"Operator '{op}': {exc}") from None
        raise operand_error(op, a, b)

    return apply


def _bitwise(op: str, fn):
    def apply(a, b):
        if type(a) in _INT_TYPES and type(b) in _INT_TYPES:
            return fn(a, b)
        if type(a) in NUMERIC and type(b) in NUMERIC:
            side = "left" if type(a) is float else "right"
            raise OperandError(f"Operator '{op}' takes integers, not a float on its {side} side")
        raise operand_error(op, a, b)

    return apply


def _power(a, b):
    if type(a) in _INT_TYPES and type(b) in _INT_TYPES and b > 0 and abs(a) > 1:
        if b * a.bit_length() > MAX_INTEGER_BITS:
            raise OperandError(f"Operator '^': result too large (over {MAX_INTEGER_BITS:,} bits)")
    result = a**b
    if type(result) is complex:
        raise OperandError("Operator '^': a negative number to a fractional power has no real value")
    return result


def multiply(a, b):
    """`a * b` for numbers; an integer product over MAX_INTEGER_BITS is refused before it is computed."""
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INTEGER_BITS:
        raise OperandError(f"Operator '*': result too large (over {MAX_INTEGER_BITS:,} bits)")
    return a * b


def _concatenate(a, b):
    left, right = to_text(a), to_text(b)
    if len(left) + len(right) > MAX_TEXT_LENGTH:
        raise OperandError(f"Operator '.': result too long (over {MAX_TEXT_LENGTH:,} characters)")
    return left + right


BINARY = {
    "+": _arithmetic("+", operator.add),
    "-": _arithmetic("-", operator.sub),
    "*": _arithmetic("*", multiply),
    "/": _arithmetic("/", operator.truediv),
    "%": _arithmetic("%", operator.mod),
    "^": _arithmetic("^", _power),
    "&": _bitwise("&", operator.and_),
    "|": _bitwise("|", operator.or_),
    ".": _concatenate,
}

_ORDERING = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _ordering(op: str, fn):
    def apply(a, b):
        try:
            return fn(a, b)
        except TypeError:
            raise OperandError(f"Cannot compare {_article(a)} with {_article(b)} using '{op}'") from None

    return apply


COMPARE = {"==": operator.eq, "!=": operator.ne, **{op: _ordering(op, fn) for op, fn in _ORDERING.items()}}


def sign(op: str, value):
    """Unary plus or minus."""
    if type(value) not in NUMERIC:
        raise OperandError(f"Operator '{op}' does not take {_article(value)}")
    return -value if op == "-" else +value


def index(target, key):
    """`target[key]` for arrays, maps and strings; a missing index or key is not defined."""
    kind = type(target)
    if kind is dict:
        if type(key) in _NUMBER_KEYS:
            key = str(key)
        try:
            return target[key]
        except (KeyError, TypeError):
            raise NotDefinedError(f"Key {key!r} is not defined in the map") from None
    if kind is list or kind is str:
        if type(key) not in _INT_TYPES:
            raise OperandError(f"{type_name(target).capitalize()} indexes are integers, not {_article(key)}")
        try:
            return target[key]
        except IndexError:
            raise NotDefinedError(f"Index {key} is not defined (the {type_name(target)} has {len(target)})") from None
    raise OperandError(f"Cannot index {_article(target)}")


def set_index(target, key, value) -> None:
    """`target[key] = value` in place; arrays only take existing indexes, maps string keys."""
    kind = type(target)
    if kind is dict:
        if type(key) in _NUMBER_KEYS:
            key = str(key)  # a number used as a map key is its text, as in the earlier implementation
        elif type(key) is not str:
            raise OperandError(f"Map keys are strings, not {_article(key)}")
        target[key] = value
    elif kind is list:
        if type(key) not in _INT_TYPES:
            raise OperandError(f"Array indexes are integers, not {_article(key)}")
        try:
            target[key] = value
        except IndexError:
            raise NotDefinedError(f"Index {key} is not defined (the array has {len(target)})") from None
    else:
        raise OperandError(f"Cannot assign to an index of {_article(target)}")
