"""Parsing: lexical rules, statement forms, and syntax errors with their positions."""

import copy

import pytest

from tscript import Diagnostic, TScriptSyntaxError, check, parse
from tscript import nodes as n
from tscript.lexer import LexError
from tscript.parser import _driver

STANZA_LIKE = """# stage 1: prepare
begin( description="Stage 1", expected_time=0:05:00, max_time=0:30:00 )
  foundation.locator = "rack-1"
  while ( attempts < 3 ) do begin()
    result = foundation.power_on( port=1, wait=true, end=2.5 )
    if result == "on" then break
  end
  if not exists( config.disks ) then error( msg="no disk for " . 1 )
  :retry
  disks = [ "sda", -2, {{ name = "nvme0", size = 512 }}, 1:02 ] % 3 ^ 2 / 1 & 4 | 5 >= 6 != 7
end
"""


def error_of(source: str) -> Diagnostic:
    problems = check(source)
    assert problems, f"expected a syntax error in {source!r}"
    return problems[0]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\n\n\n",
        "x = 1",
        "x = 1\r\ny = 2\r\n",
        "  \tx = 1   \n\n   y = 2  ",
        "x = 3#note",
        "# only a comment",
        "x = 'a # not a comment'",
        "begin()end",
        "begin()\nend",
        'begin( description="x", expected_time=0:30, max_time=1:0:0 )\nx = 1\nend',
        "if x then y = 1",
        "if x then y = 1\nelif z then y = 2\nelse y = 3",
        "if x then\n  y = 1\nelse\n  y = 2",
        "if x then y = 1 else y = 2",
        "while x do x = x - 1",
        "while x do\nbegin()\nbreak\ncontinue\npass\nend",
        ":start\ngoto start",
        "a[1]['k'] = v",
        "foundation.locator = 'x'",
        "x = foundation.value[0]",
        "x = { a = 1, b = [ 1, 'two', 3.5, none, true, 1:02:03:04 ] }",
        "x = len( array=[] )",
        "x = ( 1 + ( 2 * 3 ) )",
        "ending = 1\nnothing = 2\ntrueish = 3\ngotoing = 4\ndocker = 5\nFALSE = 6",
        "x = True\ny = False\nz = None\nw = Not x",
        'a = "it\'s"',
        's = "line one\nline two"',
        "x = [ 1,\n  2 ]",
        "f = foo( a = 1,\n b = 2 )",
        "x = -43 + +120",
        "x = exists( y[0][z] )",
    ],
)
def test_valid_scripts_parse(source):
    """Every form the spec lists parses, and check() reports nothing."""
    parse(source)
    assert check(source) == []


@pytest.mark.parametrize(
    "source, line, column, words",
    [
        ("x = .5", 1, 5, "digits on both sides"),
        ("x = 5.\n", 1, 7, "digits on both sides"),
        ("a = b = 1", 1, 7, "statement, not a value"),
        ("x = [ a = 1 ]", 1, 9, "statement, not a value"),
        ("f( 10 )", 1, 4, "keyword arguments only"),
        ("x = 1; y = 2", 1, 6, "not a statement separator"),
        ('x = "abc', 1, 5, "Unterminated string"),
        ("x = [ 1, 2, ]", 1, 13, "trailing commas"),
        ("x = { a = 1, }", 1, 14, "trailing commas"),
        ("begin()\n  x = 1\n  :inner\nend", 3, 3, "top-level only"),
        ("begin( colour='red' )\nend", 1, 8, "Unknown block option"),
        ("begin( description=x )\nend", 1, 20, "constant"),
        ("begin()\nx = 1\n", 2, 6, "has no 'end'"),
        ("x = foo( a=1\ny = 2", 2, 1, "still open"),
        ("break", 1, 1, "not inside a while"),
        ("continue", 1, 1, "not inside a while"),
        (":a\n:a", 2, 1, "defined twice"),
        ("x = 1 2", 1, 7, "Unexpected number 2"),
        ("a < b < c", 1, 7, "do not chain"),
        ("x = 1\n  y = = 2", 2, 7, "Unexpected"),
        ("1 + 2 = 3", 1, 3, "can be assigned"),
        ("x = f( a=1, a=2 )", 1, 13, "Duplicate argument"),
        ("x = exists( 1 )", 1, 13, "exists() takes"),
        ("x = 123:45", 1, 8, "duration"),
        ("if x then\n", 1, 10, "end of script"),
        ("x = $", 1, 5, "Unexpected character"),
    ],
)
def test_syntax_errors_name_the_real_position(source, line, column, words):
    """Syntax errors point at the line and column of the actual problem, with a helpful message."""
    problem = error_of(source)
    assert (problem.line, problem.column) == (line, column), problem.render()
    assert words in problem.message


def test_parse_raises_with_source_line_and_caret():
    """parse() raises TScriptSyntaxError whose diagnostic shows the line and a caret under the problem."""
    with pytest.raises(TScriptSyntaxError) as info:
        parse("x = 1\ny = ( 2 +\n")
    diagnostic = info.value.diagnostic
    assert diagnostic.source_line == "y = ( 2 +"
    assert diagnostic.caret == " " * (diagnostic.column - 1) + "^"
    assert str(info.value).startswith(f"line {diagnostic.line}, column {diagnostic.column}: ")


def test_check_never_raises_and_reports_as_json():
    """check() returns diagnostics (also for junk input) that serialise to plain dicts."""
    for junk in ["\x00", "((((((((", "begin(" * 50, "'", '"' * 3, "x" * 10_000 + " = 1"]:
        for problem in check(junk):
            assert set(problem.to_dict()) == {"line", "column", "message", "source_line", "caret", "severity"}


def test_check_warnings_are_opt_in():
    """Unknown jump points and modules are warnings: only reported with warnings=True, never as errors."""
    source = "goto nowhere\nx = mystery.value"
    assert check(source) == []
    found = check(source, modules=["foundation"], warnings=True)
    assert [p.severity for p in found] == ["warning", "warning"]
    assert "nowhere" in found[0].message and "mystery" in found[1].message


def test_precedence_tree():
    """Operators nest by precedence: or < and < not < comparisons < | < & < + - . < * / % < ^ < sign."""
    stmt = parse("x = not a == b or c and d | e & f + g * h ^ - i ^ j").body[0]
    tree = stmt.value
    assert isinstance(tree, n.Logic) and tree.op == "or"
    assert isinstance(tree.left, n.Not) and isinstance(tree.left.operand, n.Compare)
    bor = tree.right.right
    assert bor.op == "|" and bor.right.op == "&" and bor.right.right.op == "+"
    product = bor.right.right.right
    assert product.op == "*" and product.right.op == "^"
    power = product.right
    assert isinstance(power.right, n.BinOp) and power.right.op == "^"  # right-associative
    assert isinstance(power.right.left, n.Sign)


def test_module_reference_needs_no_spaces():
    """`a.b` is a module reference; `a . b` is concatenation."""
    assert isinstance(parse("x = a.b").body[0].value, n.ModuleValue)
    assert isinstance(parse("x = a . b").body[0].value, n.BinOp)


def test_newline_inside_if_does_not_extend_it():
    """A line after a one-line if is not part of it."""
    body = parse("if x then y = 1\nz = 2").body
    assert len(body) == 2 and isinstance(body[1], n.Assign)


def test_dangling_else_binds_to_nearest_if():
    """`if a then if b then x else y`: the else belongs to the inner if."""
    outer = parse("if a then if b then x = 1 else x = 2").body[0]
    assert outer.orelse is None and outer.branches[0][1].orelse is not None


def test_lone_block_options_become_the_job_options():
    """A script that is one block: its options describe the whole job."""
    from tscript.compiler import compile_source

    code = compile_source('begin( description="Install", expected_time=1:00, max_time=2:00 )\nx = 1\nend\n')
    assert code.blocks[0].description == "Install"
    assert (code.blocks[0].expected_time, code.blocks[0].max_time) == (60, 120)


def test_three_thousand_lines_parse():
    """A long script parses (the benchmark measures how fast)."""
    source = "\n".join(f"x{i} = ( x{i - 1} + {i} ) * 2" if i else "x0 = 1" for i in range(3000))
    assert len(parse(source).body) == 3000


@pytest.mark.parametrize(
    "source, line, column, message",
    [
        ("if x\n  y = 1", 1, 5, "Unexpected end of line: 'if' needs 'then' after its condition"),
        ("if x y = 1", 1, 6, "Unexpected name 'y': 'if' needs 'then' after its condition"),
        ("if a then b = 1\nelif x\n  y = 1", 2, 7, "Unexpected end of line: 'elif' needs 'then' after its condition"),
        ("while x < 3\n  x = x + 1", 1, 12, "Unexpected end of line: 'while' needs 'do' after its condition"),
        ("while x x = 1", 1, 9, "Unexpected name 'x': 'while' needs 'do' after its condition"),
        ("if x = 1 then y = 2", 1, 6, "Unexpected '=': '=' assigns; compare with '=='"),
        ("x => 1", 1, 3, "'=>' is not an operator: write '>='"),
        ("if x => 1 then y = 1", 1, 6, "'=>' is not an operator: write '>='"),
        ("if x =< 1 then y = 1", 1, 6, "'=<' is not an operator: write '<='"),
        ('x = "abc\ny = "def"', 1, 5, 'Unterminated string: this " is only closed at line 2, column 5'),
        ("x = 'abc\ny = 'def'\nz = 1", 1, 5, "Unterminated string: this ' is only closed at line 2, column 5"),
        (
            "if x then\n  y = 1\n  z = 2\nend",
            4,
            1,
            "Unexpected 'end': no block is open; the body of an 'if' or 'while' is one statement, so for several "
            "lines write 'then begin()' or 'do begin()' and close with 'end'",
        ),
    ],
)
def test_syntax_errors_explain_the_likely_mistake(source, line, column, message):
    """A missing then/do, `=>`, a string left open and an if body of several lines each get a message saying so."""
    problem = error_of(source)
    assert (problem.line, problem.column, problem.message) == (line, column, message), problem.render()


def test_a_multi_line_string_keeps_its_opening_position():
    """A string spanning lines is a value that starts where its quote opens."""
    stmt = parse('x = 1\ny = "one\ntwo"').body[1]
    assert (stmt.value.line, stmt.value.column, stmt.value.value) == (2, 5, "one\ntwo")


def test_lines_indented_under_a_one_statement_body_warn():
    """A second line indented like the body of an `if` on its own line is not in the body: a warning says so."""
    source = "if x then\n  y = 1\n  z = 2\nwhile y do\n  y = 0\n  w = 1\nif x then y = 1\nz = 3"
    found = check(source, warnings=True)
    assert [(p.severity, p.line, p.column) for p in found] == [("warning", 3, 3), ("warning", 6, 3)]
    assert found[0].message == (
        "This line is not part of the 'if' at line 1: its body is one statement; "
        "for several lines write 'then begin()' or 'do begin()' and close with 'end'"
    )
    assert check(source) == []


@pytest.mark.parametrize(
    "source, line, column",
    [
        ("begin()\n" * 500 + "x = 1\n" + "end\n" * 500, 201, 1),
        ("begin()\n" * 999 + "x = 1\n" + "end\n" * 999, 201, 1),
        ("if true then " * 500 + "x = 1\n", 1, 2591),
        ("while x do " * 999 + "x = 1\n", 1, 2201),
        ("x = " + "[ " * 500 + "1" + " ]" * 500, 1, 403),
        ("x = 1" + " + 1" * 500, 1, 1213),
        ("x = " + "not " * 999 + "1", 1, 5),
    ],
)
def test_nesting_past_the_limit_is_a_syntax_error(source, line, column):
    """Nesting the runner cannot take is a syntax error at check time, with the position of the level too many."""
    problem = error_of(source)
    assert problem.message == "Nested too deeply: at most 200 levels of blocks, ifs, loops and expressions"
    assert (problem.line, problem.column) == (line, column), problem.render()
    with pytest.raises(TScriptSyntaxError):
        parse(source)


def test_nesting_within_the_limit_runs_from_a_deep_stack():
    """Scripts at the nesting limit compile and run even when the host calls from deep inside its own stack."""
    from tscript import Runner

    sources = [
        "begin()\n" * 198 + "x = 1\n" + "end\n" * 198,
        "x = 0\n" + "if true then " * 198 + "x = 1\n",
        "x = " + "[ " * 198 + "1" + " ]" * 198,
        "x = 1" + " + 1" * 198,
    ]

    def deep(levels, source):
        if levels:
            return deep(levels - 1, source)
        return Runner(source).run().status

    for source in sources:
        assert check(source) == []
        assert deep(300, source) == "done"


def test_a_jump_point_defined_twice_stays_a_syntax_error():
    """A deliberate change from the earlier implementation: the second definition is an error at its position."""
    problem = error_of(":retry\nx = 1\n:retry")
    assert (problem.line, problem.column, problem.message) == (3, 1, "Jump point ':retry' is defined twice")


def _lexed(lexer, source):
    try:
        return [(t.type, str(t), t.line, t.column, t.start_pos) for t in lexer.tokens(source)]
    except LexError as exc:
        return ("error", exc.char, exc.line, exc.column)


def test_the_lexer_picks_the_terminal_trying_every_terminal_would():
    """The lexer tries only the terminals a token's first character can start; it must lex exactly as the
    alternation of all of them does, here over every ASCII character in several places."""
    lexer = _driver().lexer
    everything = copy.copy(lexer)
    everything.patterns = {}  # every character takes the alternation of all terminals
    sources = [STANZA_LIKE]
    for code in range(128):
        c = chr(code)
        sources += [c, f"x = {c}1", f"a{c}b", f"{c}{c}x = 2", f"f( {c}=1 )", f"x = [ 1{c}2 ]", f"'{c}' {c}"]
    differences = [s for s in sources if _lexed(lexer, s) != _lexed(everything, s)]
    assert differences == []
    assert len({type(_lexed(lexer, s)) for s in sources}) == 2  # some of them lex, some are lexical errors
