"""The state round trip: saving after any step and continuing in a fresh runner changes nothing."""

import itertools
import json

import pytest
from test_tscript_modules import make_modules
from tscript_helpers import Clock, react

from tscript import Runner, StateError

SCRIPTS = {
    "arithmetic and loops": """
total = 0
i = 0
while i < 5 do begin( description="loop" )
  i = i + 1
  if i % 2 == 0 then message( msg='even ' . i )
  elif i == 3 then pause( msg='three' )
  else total = total + i
end
""",
    "pause error delay": """
begin( description="job", expected_time=0:05:00, max_time=1:00:00 )
  a = [ 1, { k = 0:30 } ]
  pause( msg='check' )
  b = a
  b[ 1 ][ 'k' ] = 1:00
  delay( seconds=20 )
  error( msg='flaky' )
  c = [ len( array=a ), b[ 1 ][ 'k' ] . '' ]
  delay( minutes=1 )
end
""",
    "goto and break": """
n = 0
:top
n = n + 1
while true do begin()
  message( msg='n=' . n )
  if n < 3 then goto top
  break
end
done = true
""",
    "modules mid-expression": """
log = [ 0 ]
x = demo.double( value=2 ) + demo.count( upto=2 ) * 10
append( array=log, value=demo.power_on( port=1 ) )
y = [ 'a', demo.ping( n=x ), exists( log[ 5 ] ) ]
z = pop( array=log, index=demo.count( upto=1 ) - 1 )
""",
    "remote failure and re-dispatch": """
r = demo.power_on( port=2 )
s = demo.ping( n=r )
""",
}


def answer(task):
    """Deterministic subcontractor: the first ping for a powered-on port fails once per run."""
    if task["function"] == "ping" and task["parameters"].get("n") == "on" and not answer.failed:
        answer.failed = True
        return RuntimeError("ping failed")
    if task["function"] == "power_on":
        return {"state": "on"}
    return task["parameters"]


answer.failed = False


def fresh(source: str, clock: Clock, state=None) -> Runner:
    counter = itertools.count()
    return Runner(source, make_modules({}), state, clock=clock, cookie_factory=lambda: f"k{next(counter)}")


def scrub(outcome: dict) -> dict:
    task = outcome.get("task")
    return {**outcome, "task": {**task, "cookie": None} if task else None}


def steps_with_restart(source: str, restart_at: int | None) -> tuple[list[dict], dict]:
    """Run to the end; after step `restart_at`, save the state as JSON and continue in a new runner."""
    answer.failed = False
    clock = Clock()
    runner, outcomes = fresh(source, clock), []
    for step in itertools.count():
        outcome = runner.run()
        outcomes.append(scrub(outcome.to_dict()))
        if step == restart_at:
            saved = json.dumps(runner.state())
            runner = fresh(source, clock, json.loads(saved))
            outcome = runner.outcome
        if outcome.status in ("done", "aborted"):
            return outcomes, runner.variables
        if step > 200:
            raise AssertionError("runaway")
        react(runner, outcome, clock, answer)


@pytest.mark.parametrize("name", SCRIPTS)
def test_restart_after_every_step_changes_nothing(name):
    """For every k: save after step k, restore in a fresh runner, and the outcomes and variables match."""
    source = SCRIPTS[name]
    expected = steps_with_restart(source, None)
    assert len(expected[0]) > 3
    for k in range(len(expected[0])):
        assert steps_with_restart(source, k) == expected, f"restart after step {k}"


def test_state_is_plain_versioned_json():
    """state() is JSON with a version and the source hash; durations are tagged."""
    runner = Runner("d = 1:30\npause()")
    runner.run()
    state = runner.state()
    assert json.loads(json.dumps(state)) == state
    assert state["version"] == 1 and len(state["source_hash"]) == 64
    assert state["variables"] == {"d": {"__duration__": 90.0}}


def test_state_refuses_other_source_and_versions():
    """Restoring against another script, another version or junk raises StateError."""
    runner = Runner("x = 1\npause()")
    runner.run()
    state = runner.state()
    with pytest.raises(StateError, match="different script"):
        Runner.from_state("x = 2\npause()", state)
    with pytest.raises(StateError, match="version"):
        Runner.from_state("x = 1\npause()", {**state, "version": 99})
    with pytest.raises(StateError, match="Malformed"):
        Runner.from_state("x = 1\npause()", {**state, "frames": "nonsense"})
    restored = Runner.from_state("x = 1\npause()", json.dumps(state))
    restored.resume()
    assert restored.run().status == "done"


def test_tricky_values_survive_the_round_trip():
    """Maps that look like tags, huge integers and infinities are stored losslessly."""
    source = "m = {}\nm[ '__duration__' ] = 5\nbig = 2 ^ 20000\nf = 1.0e0\npause()"
    source = source.replace("1.0e0", "10.0 ^ 308 * 10.0")
    runner = Runner(source)
    runner.run()
    restored = Runner.from_state(source, json.loads(json.dumps(runner.state())))
    assert restored.vars == runner.vars


def test_state_size_and_speed_are_small():
    """A typical job's state is a few hundred bytes."""
    runner = Runner(SCRIPTS["pause error delay"], clock=Clock())
    runner.run()
    assert len(json.dumps(runner.state())) < 1000


def test_a_state_over_the_size_limit_is_refused_with_its_size():
    """state() refuses to produce more than max_state_bytes of JSON; below the limit it round-trips as ever."""
    from tscript import MAX_STATE_BYTES, StateTooLargeError

    source = "s = 'abcdefgh'\nwhile true do begin()\n  s = s . s\n  pause( msg='grown' )\nend\n"
    small, large = (Runner(source, max_state_bytes=limit, clock=lambda: 1000.0) for limit in (4_000, 10**9))
    for _ in range(20):
        for runner in (small, large):
            assert runner.run().status == "paused"
            runner.resume()
        size = len(json.dumps(large.state()))
        if size > 4_000:
            break
        assert small.state() == large.state()
    with pytest.raises(StateTooLargeError) as refused:
        small.state()
    assert str(refused.value) == (
        f"The script's state would be {size:,} bytes of JSON, over the limit of 4,000 "
        "(line 4: its variables or values on the stack hold too much)"
    )
    assert Runner(source).max_state_bytes == MAX_STATE_BYTES == 1_048_576
