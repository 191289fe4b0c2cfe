"""Statements, expressions and operators behave as the spec says."""

import pytest
from tscript_helpers import failure, values


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("1 + 2 * 3", 7),
        ("( 1 + 2 ) * 3", 9),
        ("( 1 + ( 2 * 3 ) )", 7),
        ("2 ^ 3 ^ 2", 512),
        ("-2 ^ 2", 4),
        ("7 / 2", 3.5),
        ("4 / 2", 2.0),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("6 & 3", 2),
        ("6 | 3", 7),
        ("1 | 2 & 3", 3),
        ("true + 1", 2),
        ("-43", -43),
        ("+120", 120),
        ("- -3", 3),
        ("-0.43", -0.43),
        ("5 . 'a'", "5a"),
        ("2.0 . ''", "2.0"),
        ("true . false . none", "TrueFalseNone"),
        ("0:01:30 . ''", "0:01:30"),
        ("1 + 2 . 3", "33"),
        ("'a' . 2 * 3", "a6"),
        ("1 < 2", True),
        ("1 == 1.0", True),
        ("'a' != 'b'", True),
        ("[ 1, 2 ] == [ 1, 2 ]", True),
        ("'abc' < 'abd'", True),
        ("2 >= 2 and 3 <= 2", False),
        ("not 1 == 2", True),
        ("Not true", False),
        ("not 0 and 5", 5),
        ("0 or 'x'", "x"),
        ("'' or 0", 0),
        ("3 and 4", 4),
        ("none and undefined_name", None),
        ("1 or undefined_name", 1),
        ("[ 1, 'a', [ 2 ] ][ -1 ][ 0 ]", 2),
        ("{ a = 1, b = { c = 'd' } }[ 'b' ][ 'c' ]", "d"),
        ("'hello'[ 1 ]", "e"),
        ("1:2:3", 3723),
        ("1:0:0:0", 86400),
        ("0:30", 30),
        ("True", True),
        ("None", None),
        ("not []", True),
        ("not {}", True),
        ("not ''", True),
        ("not 0.0", True),
        ("not none", True),
        ("not false", True),
        ("not 'x'", False),
    ],
)
def test_expression_values(expression, expected):
    """Operators, precedence, literals, truth and indexing."""
    result = values(f"x = {expression}")["x"]
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "expression, words",
    [
        ("1 + 'a'", "Operator '+' does not take a string on its right side"),
        ("'a' - 1", "Operator '-' does not take a string on its left side"),
        ("[ 1 ] * 2", "Operator '*' does not take an array on its left side"),
        ("none / 1", "'/' does not take a none on its left side"),
        ("1 % {}", "'%' does not take a map on its right side"),
        ("0:30 + 1", "'+' does not take a duration on its left side"),
        ("1.5 & 1", "takes integers"),
        ("1 | 'a'", "'|' does not take a string"),
        ("1 / 0", "division by zero"),
        ("5 < 'a'", "Cannot compare"),
        ("- 'a'", "Operator '-' does not take a string"),
        ("9 ^ 9 ^ 9", "too large"),
        ("-8 ^ 0.5", "no real value"),
        ("[ 1 ][ 'a' ]", "indexes are integers"),
        ("5[ 0 ]", "Cannot index an integer"),
    ],
)
def test_bad_operands_are_fatal(expression, words):
    """Operators given values they do not take abort with bad_operand, naming the operator and side."""
    error = failure(f"x = {expression}")
    assert error["kind"] == "bad_operand"
    assert words in error["message"]


@pytest.mark.parametrize(
    "source, message, line, column",
    [
        ("x = 3\nwhile true do x = x * x\n", "Operator '*': result too large (over 1,000,000 bits)", 2, 21),
        ("x = 3\nwhile true do begin()\n  x = ( x * 1000000007 )\nend\n",
         "Operator '*': result too large (over 1,000,000 bits)", 3, 11),
        ("x = 2 ^ 400000\ny = 2 ^ 400000 * x * x", "Operator '*': result too large (over 1,000,000 bits)", 2, 20),
        ("x = 2 ^ 1000001", "Operator '^': result too large (over 1,000,000 bits)", 1, 7),
        ("s = 'ab'\nwhile true do s = s . s\n", "Operator '.': result too long (over 1,000,000 characters)", 2, 21),
        ("x = 'ab' * 3", "Operator '*' does not take a string on its left side", 1, 10),
        ("x = 3\ny = x * 'ab'", "Operator '*' does not take a string on its right side", 2, 7),
    ],
)  # fmt: skip
def test_huge_results_are_refused_where_they_are_computed(source, message, line, column):
    """`*`, `^` and `.` refuse a result too large to be meant (before computing it), with line and column."""
    assert failure(source) == {"kind": "bad_operand", "message": message, "line": line, "column": column}


def test_large_products_under_the_bound_are_exact():
    """The bound is far above what a script computes: a 999,999-bit product is still exact (2^999998 - 1 is 3k)."""
    assert values("x = 2 ^ 499999\ny = x * x\nz = ( y - 1 ) % 3 == 0")["z"] is True


def test_bad_operand_position_is_the_operator():
    """The error points at the failing operator, not the statement."""
    error = failure("x = 1\ny = ( x + 2 ) + x * 'b'")
    assert (error["line"], error["column"]) == (2, 19)


@pytest.mark.parametrize(
    "source, words",
    [
        ("x = y", "Variable 'y' is not defined"),
        ("x = [ 1 ][ 1 ]", "Index 1 is not defined"),
        ("x = [ 1 ][ -2 ]", "Index -2 is not defined"),
        ("x = { a = 1 }[ 'b' ]", "Key 'b' is not defined"),
        ("x = 'ab'[ 5 ]", "Index 5 is not defined"),
        ("x = nothing.value", "Module 'nothing' is not defined"),
        ("x = nothing.fn()", "Module 'nothing' is not defined"),
        ("x = frobnicate( a=1 )", "Function 'frobnicate' is not defined"),
        ("goto nowhere", "Jump point 'nowhere' is not defined"),
        ("x = [ 1 ]\nx[ 3 ] = 1", "Index 3 is not defined"),
        ("y[ 0 ] = 1", "Variable 'y' is not defined"),
    ],
)
def test_not_defined_is_fatal(source, words):
    """Unknown names, indexes, keys, modules, functions and labels abort with not_defined."""
    error = failure(source)
    assert error["kind"] == "not_defined"
    assert words in error["message"]


def test_not_defined_position():
    """The error names the line and column of the undefined name."""
    error = failure("a = 1\nb = a + ( 2 * c )")
    assert (error["line"], error["column"]) == (2, 15)


def test_assignment_copies():
    """After b = a, changing b does not change a (also for nested values)."""
    result = values("a = [ 1, { k = [ 2 ] } ]\nb = a\nb[ 1 ][ 'k' ][ 0 ] = 9\nappend( array=b, value=3 )")
    assert result["a"] == [1, {"k": [2]}]
    assert result["b"] == [1, {"k": [9]}, 3]


def test_chained_index_assignment():
    """`a[1]["k"] = v` writes into nested lists and maps; maps take new keys."""
    result = values("a = [ 0, { k = 1 } ]\na[ 1 ][ 'k' ] = 'v'\na[ 1 ][ 'new' ] = [ 1 ]\na[ -2 ] = 5")
    assert result["a"] == [5, {"k": "v", "new": [1]}]


def test_if_elif_else():
    """The first true branch runs; else when none is true; one-line if does not swallow the next line."""
    script = """
x = {value}
if x == 1 then r = 'one'
elif x == 2 then r = 'two'
elif x == 3 then
  r = 'three'
else
  r = 'many'
after = 1
"""
    assert [values(script.format(value=v))["r"] for v in (1, 2, 3, 4)] == ["one", "two", "three", "many"]
    assert values("if false then x = 1\ny = 2") == {"y": 2}


def test_while_break_continue_pass():
    """break and continue act on the innermost while; pass does nothing."""
    script = """
total = 0
i = 0
while i < 10 do begin()
  i = i + 1
  if i % 2 == 0 then continue
  if i > 7 then break
  j = 0
  while true do begin()
    j = j + 1
    if j == 3 then break
    pass
  end
  total = total + i * j
end
"""
    assert values(script) == {"total": (1 + 3 + 5 + 7) * 3, "i": 9, "j": 3}


def test_goto_loops_and_discards_blocks():
    """goto continues at a top-level jump point, leaving running blocks and loops."""
    script = """
n = 0
:again
n = n + 1
while true do begin()
  if n < 3 then goto again
  break
end
done = n
"""
    assert values(script) == {"n": 3, "done": 3}


def test_blocks_do_not_scope():
    """Variables set in a block are visible after it."""
    assert values("begin()\n  inner = 1\nend\nouter = inner + 1") == {"inner": 1, "outer": 2}


def test_evaluation_is_left_to_right():
    """Operands, array items, map entries and arguments are evaluated in source order."""
    script = """
log = []
x = [ append( array=log, value=1 ), append( array=log, value=2 ) ]
y = { a = append( array=log, value=3 ), b = append( array=log, value=4 ) }
z = slice( array=[ 1, 2, 3 ], start=pop( array=log, index=0 ), end=pop( array=log, index=0 ) )
"""
    result = values(script)
    assert result["log"] == [3, 4] and result["z"] == [2]


def test_exists():
    """exists() is false only when reading its target fails as not defined."""
    script = """
a = [ 1 ]
m = { k = none }
r1 = exists( a )
r2 = exists( b )
r3 = exists( a[ 0 ] )
r4 = exists( a[ 5 ] )
r5 = exists( m[ 'k' ] )
r6 = exists( m[ 'x' ][ 'y' ] )
r7 = exists( nomodule.value )
"""
    result = values(script)
    assert [result[f"r{i}"] for i in range(1, 8)] == [True, False, True, False, True, False, False]


def test_exists_lets_other_errors_through():
    """Errors other than not-defined inside exists() still abort."""
    assert failure("a = 5\nx = exists( a[ 0 ] )")["kind"] == "bad_operand"


def test_durations_are_values():
    """Durations compare with each other and show as seconds in the variables view."""
    assert values("a = 0:30 < 1:00\nb = 1:30\nc = b == 0:1:30") == {"a": True, "b": 90, "c": True}


def test_a_number_used_as_a_map_key_is_its_text():
    """`m[ 5 ] = 1` sets key "5", and `m[ 5 ]` reads it back, as in the earlier implementation."""
    found = values('m = {}\nm[ 5 ] = 1\nm[ 2.5 ] = 2\nx = m[ "5" ]\ny = m[ 2.5 ]\nz = exists( m[ 5 ] )')
    assert found == {"m": {"5": 1, "2.5": 2}, "x": 1, "y": 2, "z": True}
    assert failure("m = {}\nm[ true ] = 1")["message"] == "Map keys are strings, not a boolean"


def test_reserved_words_name_map_keys_and_arguments():
    """Before a single `=` after `(`, `,` or `{`, a reserved word is a key or an argument name."""
    found = values(
        "x = { if = 1, end = 2, not = 3, true = 4, then = 5, do = 6, else = 7, begin = 8 }\n"
        "y = slice( array=[ 1, 2, 3 ], end=2 )\n"
        "z = { a = ( true == true ), b = [ not false, true ] }"
    )
    assert found["x"] == {"if": 1, "end": 2, "not": 3, "true": 4, "then": 5, "do": 6, "else": 7, "begin": 8}
    assert found["y"] == [1, 2] and found["z"] == {"a": True, "b": [True, True]}
    assert failure("x = len( while=[] )")["message"] == "len() has no parameter 'while' (it takes array)"
