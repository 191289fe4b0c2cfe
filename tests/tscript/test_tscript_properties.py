"""Property-based: random and mutated scripts never crash the parser or runner with a non-TScript error."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tscript_helpers import Clock

from tscript import Runner, TScriptSyntaxError, check

TOKENS = [
    "x", "y", "a1", "begin()", "begin( description='d', max_time=0:01 )", "end", "while", "do", "if", "then",
    "elif", "else", "goto", "top", ":top", "break", "continue", "pass", "exists", "not", "and", "or", "true",
    "False", "none", "=", "==", "!=", "<", ">=", "+", "-", "*", "/", "%", "^", "&", "|", ".", "(", ")", "[", "]",
    "{", "}", ",", "0", "1", "-3", "2.5", "1:30", "'s'", '"t"', "\n", "\n", "\n", "len( array=x )",
    "pause( msg='p' )", "error( msg='e' )", "message( msg='m' )", "delay( seconds=1 )", "fatal_error()",
    "append( array=x, value=1 )", "pop( array=x )", "slice( array=x, start=1 )", "index( array=x, value=1 )",
    "m.v", "#c",
]  # fmt: skip

VALID = [
    "x = 1\nwhile x < 20 do begin()\n x = x * 2 + 1\n if x % 3 == 0 then message( msg=x )\nend",
    "x = [ 1, { a = 2 } ]\ny = x[ 1 ][ 'a' ] . 'z'\nappend( array=x, value=y )\npause( msg=len( array=x ) )",
    ":top\nn = 1\nif not exists( m ) then m = 0\nm = m + n\nif m < 5 then goto top\ndelay( seconds=2 )",
    "begin( description='d', expected_time=0:30 )\n a = 2 ^ 10 / 3 - 4 % 3 & 1 | 2\n error( msg='e' )\nend",
]

script_text = st.text(alphabet=st.sampled_from(list("xyab01 =+-*/^%&|.<>!()[]{},:'\"#\n\tbeginwhdotf_")), max_size=80)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)


@st.composite
def mutated(draw):
    source = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(source)))
        action = draw(st.sampled_from(["delete", "insert", "replace"]))
        piece = draw(st.sampled_from(TOKENS + list("()[]=,.'\"\n ")))
        if action == "delete":
            source = source[:pos] + source[pos + 1 :]
        elif action == "insert":
            source = source[:pos] + piece + source[pos:]
        else:
            source = source[:pos] + piece + source[pos + len(piece) :]
    return source


def exercise(source: str) -> None:
    """Check, parse and run a few steps like a host would; only TScript errors may surface."""
    problems = check(source, warnings=True)
    try:
        runner = Runner(source, clock=Clock())
    except TScriptSyntaxError:
        assert any(p.severity == "error" for p in problems)
        return
    assert not [p for p in problems if p.severity == "error"]
    for _ in range(8):
        outcome = runner.run(max_steps=500)
        state = json.loads(json.dumps(runner.state()))
        runner = Runner.from_state(source, state, clock=Clock(2_000_000.0))
        runner.progress()
        if outcome.status in ("done", "aborted"):
            assert outcome.error is None or outcome.error["kind"] != "unexpected", outcome
            return
        if outcome.status == "paused":
            runner.resume()
        elif outcome.status == "error":
            runner.reset()


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(script_text)
def test_random_text(source):
    """Arbitrary text from the language's alphabet."""
    exercise(source)


@FAST
@given(token_soup)
def test_token_soup(source):
    """Random sequences of real tokens: many parse, and those that do must run cleanly."""
    exercise(source)


@FAST
@given(mutated())
def test_mutated_scripts(source):
    """Valid scripts with characters or tokens deleted, inserted or replaced."""
    exercise(source)


def test_valid_seeds_run():
    """The seed scripts themselves are valid."""
    for source in VALID:
        exercise(source)
