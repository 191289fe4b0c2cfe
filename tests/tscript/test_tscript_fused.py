"""Loops run as generated Python end every step exactly where the instruction loop does, in the same state."""

import itertools

import pytest
from tscript_helpers import Clock

from tscript import Runner

SCRIPTS = {
    "counter": "cnt = 0\ntotal = 0\nwhile ( cnt < 50 ) do begin()\n  cnt = ( cnt + 1 )\n"
    "  total = ( total + ( cnt * 2 ) - 1 )\nend\n",
    "nested, if, break, continue": """
found = []
i = 0
while i < 12 do begin()
  i = i + 1
  if i % 2 == 0 then continue
  j = 0
  while true do begin()
    j = j + 1
    if j > i then break
    elif j == 3 then begin()
      found[ 0 ] = "three"
    end
    else n = j
  end
  if i > 9 then break
  s = "x" . i . ( i * i )
end
""",
    "values": """
m = { a = 1, b = [ 1, 2, 3 ] }
k = 0
while k < 20 do begin()
  m[ 'a' ] = m[ 'a' ] * 3
  m[ 'b' ][ 1 ] = len( array=m[ 'b' ] ) + k
  k = k + 1
  copy = m
  t = k / 4
  flag = not ( k < 10 ) or ( k == 3 and k != 4 )
  name = "k" . k
  if ( k >= 5 and k <= 7 ) then pass
  else n = -k
end
""",
    "pauses between loops": """
total = 0
round = 0
while round < 3 do begin()
  round = round + 1
  x = 0
  while x < 15 do x = x + round
  total = total + x
  pause( msg="round done" )
end
""",
    "variables first set inside": "i = 0\nwhile i < 10 do begin()\n  i = i + 1\n  if i == 5 then late = i\n"
    "  elif i > 7 then late = late + i\n  else last = i\nend\n",
    "bad operand in a loop": "x = 1\nwhile true do begin()\n  x = x + 1\n  if x > 7 then y = x * 'a'\nend\n",
    "undefined variable in a loop": "x = 1\nwhile true do begin()\n  x = x + 1\n  if x == 9 then y = z\nend\n",
    "huge product in a loop": "x = 3\nwhile true do x = x * x\n",
}


def _steps(source: str, budget: int, fused: bool) -> list:
    """Every step's outcome and state, resetting a spent budget and resuming pauses, until the script ends."""
    runner = Runner(source, clock=Clock())
    assert any(runner.loops), "the script has a loop that runs as Python"
    if not fused:
        runner.loops = [None] * len(runner.loops)
    seen = []
    for _ in range(2_000):
        outcome = runner.run(max_steps=budget)
        seen.append((outcome.to_dict(), runner.state(), runner.executed))
        if outcome.status in ("done", "aborted"):
            return seen
        runner.reset() if outcome.status == "error" else runner.resume()
    raise AssertionError("the script did not end")


@pytest.mark.parametrize("name, budget", list(itertools.product(SCRIPTS, [1, 2, 3, 5, 8, 13, 100, 10**6])))
def test_generated_loops_stop_where_the_instructions_stop(name, budget):
    """Budget spent, errors, pauses and the end: outcome, state and instructions counted are the same."""
    assert _steps(SCRIPTS[name], budget, fused=True) == _steps(SCRIPTS[name], budget, fused=False)


def test_a_runner_restored_inside_a_loop_finishes_it():
    """A state saved with the budget spent inside a generated loop restores, and the loop runs on to the end."""
    source = SCRIPTS["counter"]
    first = Runner(source, clock=Clock())
    assert first.run(max_steps=40).status == "error"  # the budget ends the step inside the loop
    resumed = Runner.from_state(source, first.state(), clock=Clock())
    assert len([entry for entry in resumed.loops if entry is not None]) == 2  # the loop's enter and its test
    resumed.reset()
    assert resumed.run().status == "done"
    assert resumed.variables == {"cnt": 50, "total": 2500}
