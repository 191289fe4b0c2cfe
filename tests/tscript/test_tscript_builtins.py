"""The builtins and the outcomes they produce."""

import pytest
from tscript_helpers import Clock, failure, values

from tscript import Runner


def test_len_slice_index():
    """len, slice and index on arrays, maps and strings."""
    script = """
a = [ 10, 20, 30, 40 ]
l1 = len( array=a )
l2 = len( array={ x = 1 } )
l3 = len( array='abc' )
s1 = slice( array=a, start=1, end=3 )
s2 = slice( array=a, start=-2 )
s3 = slice( array='hello', start=1, end=-1 )
i1 = index( array=a, value=30 )
i2 = index( array='hello', value='l' )
"""
    assert values(script) == {
        "a": [10, 20, 30, 40], "l1": 4, "l2": 1, "l3": 3, "s1": [20, 30], "s2": [30, 40], "s3": "ell",
        "i1": 2, "i2": 2,
    }  # fmt: skip


def test_pop_and_append_change_the_variable_passed():
    """pop removes from the variable passed (default last); append adds in place and returns none."""
    script = """
a = [ 1, 2, 3 ]
m = { list = [ 1 ] }
last = pop( array=a )
first = pop( array=a, index=0 )
r = append( array=a, value=[ 9 ] )
append( array=m[ 'list' ], value=2 )
"""
    assert values(script) == {"a": [2, [9]], "m": {"list": [1, 2]}, "last": 3, "first": 1, "r": None}


def test_append_of_itself_copies():
    """Appending an array to itself stores a copy, never a cycle."""
    assert values("a = [ 1 ]\nappend( array=a, value=a )") == {"a": [1, [1]]}


@pytest.mark.parametrize(
    "call, kind",
    [
        ("len( array=5 )", "bad_parameter"),
        ("len()", "bad_parameter"),
        ("len( array=[], other=1 )", "bad_parameter"),
        ("slice( array=[ 1 ], start='a' )", "bad_parameter"),
        ("pop( array=[] )", "not_defined"),
        ("pop( array='abc' )", "bad_parameter"),
        ("index( array=[ 1 ], value=2 )", "not_defined"),
        ("append( array={}, value=1 )", "bad_parameter"),
        ("delay( seconds=0 )", "bad_parameter"),
        ("delay()", "bad_parameter"),
        ("delay( seconds=1.5 )", "bad_parameter"),
        ("delay( minutes='1' )", "bad_parameter"),
        ("delay( seconds=true )", "bad_parameter"),
        ("delay( weeks=1 )", "bad_parameter"),
        ("pause( msg=[] )", "bad_parameter"),
        ("fatal_error( msg='stop here' )", "fatal"),
    ],
)
def test_builtin_failures_abort(call, kind):
    """Bad arguments abort with bad_parameter; missing items with not_defined; fatal_error with fatal."""
    error = failure(f"x = 1\ny = {call}")
    assert error["kind"] == kind and error["line"] == 2


def test_pause_resumes_after_the_call():
    """pause() pauses with its message; after resume() the call is none and the script continues."""
    runner = Runner("x = pause( msg='check the cabling' )\ny = 2")
    outcome = runner.run()
    assert (outcome.status, outcome.message, outcome.line) == ("paused", "check the cabling", 1)
    assert runner.run().status == "paused", "a paused script does not move on its own"
    runner.resume()
    assert runner.run().status == "done"
    assert runner.variables == {"x": None, "y": 2}


def test_error_resets_after_the_call():
    """error() is a resumable error at its position; reset() continues after the call."""
    runner = Runner("x = 1\nerror( msg='disk missing' )\ny = 2")
    outcome = runner.run()
    assert outcome.status == "error"
    assert outcome.error == {"kind": "script_error", "message": "disk missing", "line": 2, "column": 1}
    assert runner.run().status == "error"
    runner.reset()
    assert runner.run().status == "done" and runner.variables == {"x": 1, "y": 2}


def test_fatal_error_aborts_for_good():
    """fatal_error() aborts; an aborted script never runs again and cannot be reset."""
    from tscript import NotAllowedError

    runner = Runner("fatal_error( msg='no way' )\nx = 1")
    outcome = runner.run()
    assert (outcome.status, outcome.error["kind"], outcome.message) == ("aborted", "fatal", "no way")
    assert runner.run().status == "aborted"
    with pytest.raises(NotAllowedError):
        runner.reset()
    with pytest.raises(NotAllowedError):
        runner.resume()


def test_message_ends_the_step_and_continues():
    """message() yields with its text; the next step continues after it."""
    runner = Runner("message( msg='step one' )\nmessage( msg=2 )\nx = 1")
    assert [runner.run().to_dict()["message"] for _ in range(3)] == ["step one", "2", "Done"]
    assert runner.status == "done"


def test_delay_waits_without_blocking(clock):
    """delay() waits: each step reports the whole seconds left, until the time has passed."""
    runner = Runner("delay( seconds=30, minutes=1, hours=0 )\nx = 1", clock=clock)
    assert runner.run().message == "Waiting for 90 more seconds"
    clock.advance(10.5)
    assert runner.run().to_dict()["message"] == "Waiting for 79 more seconds"
    assert runner.run().status == "waiting"
    clock.advance(80)
    assert runner.run().status == "done" and runner.variables == {"x": 1}


def test_negative_parts_are_fine_when_the_total_is_positive(clock):
    """Only the total must be a positive whole number of seconds."""
    runner = Runner("delay( minutes=1, seconds=-30 )", clock=clock)
    assert runner.run().message == "Waiting for 30 more seconds"


def test_step_budget_is_a_resumable_timeout():
    """A step that spends its instruction budget ends in a resumable error (kind timeout)."""
    runner = Runner("i = 0\nwhile i < 1000 do i = i + 1")
    outcome = runner.run(max_steps=100)
    assert outcome.status == "error" and outcome.error["kind"] == "timeout"
    assert "budget" in outcome.message
    while runner.status != "done":
        runner.reset()
        runner.run(max_steps=100)
    assert runner.variables == {"i": 1000}


def test_max_time_pauses_the_job(clock):
    """Past a block's max_time the job pauses with 'Max Time Elapsed'; a resumed job gets one more step."""
    script = "begin( max_time=0:10 )\nwhile true do message( msg='tick' )\nend"
    runner = Runner(script, clock=clock)
    assert runner.run().message == "tick"
    clock.advance(11)
    outcome = runner.run()
    assert (outcome.status, outcome.message) == ("paused", "Max Time Elapsed")
    runner.resume()
    assert runner.run().message == "tick"
    assert runner.run().message == "Max Time Elapsed"


def test_max_time_only_while_in_the_block(clock):
    """After leaving the block its max_time no longer applies."""
    script = "begin( max_time=0:10 )\nx = 1\nend\ndelay( seconds=60 )\ny = 2"
    runner = Runner(script, clock=clock)
    runner.run()
    clock.advance(61)
    assert runner.run().status == "done"


def test_progress_outermost_first(clock):
    """progress(): one level per running block, loop or if, then the pending call."""
    script = """begin( description="Install", expected_time=0:10:00 )
  a = 1
  begin( description="Disks" )
    if true then begin()
      delay( seconds=60 )
    end
  end
  b = 2
end"""
    runner = Runner(script, clock=clock)
    runner.run()
    clock.advance(15)
    levels = runner.progress()
    assert [level["kind"] for level in levels] == ["scope", "scope", "if", "scope", "function"]
    assert levels[0]["description"] == "Install" and levels[1]["description"] == "Disks"
    assert levels[0]["percent"] == pytest.approx(100 / 3, abs=0.1)
    assert levels[0]["elapsed"] == 15 and levels[0]["remaining"] == 585
    assert levels[-1]["description"] == "delay" and levels[-1]["remaining"] == 45
    clock.advance(60)
    runner.run()
    assert runner.progress() == [
        {"kind": "scope", "description": "Install", "percent": 100.0, "elapsed": None, "remaining": None}
    ]


def test_clock_is_injected():
    """Durations and delays follow the host's clock only."""
    clock = Clock(50.0)
    runner = Runner("delay( seconds=5 )", clock=clock)
    runner.run()
    assert runner.delay_until == 55.0
