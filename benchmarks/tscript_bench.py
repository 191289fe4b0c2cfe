"""Benchmark TScript: loop speed, parse time of a long script, and state save/restore size and time.

Run with `python benchmarks/tscript_bench.py`. Targets: the counter loop within 15x of the same loop
in plain Python (both measured in this run, so the ratio means the same on a busy machine), a
3,000-line parse under 0.1 s, state save and restore under 1 ms, `python -m tscript check` of
100 files (one call) under 2 s.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tscript import Module, Remote, Runner, parse  # noqa: E402
from tscript.compiler import compile_source  # noqa: E402
from tscript.parser import _analyse, _lark  # noqa: E402

LOOP = """cnt = 0
total = 0
while ( cnt < 100000 ) do begin()
  cnt = ( cnt + 1 )
  total = ( total + ( cnt * 2 ) - 1 )
end
"""

# One blueprint-like stanza of 15 lines; the long script repeats it 200 times.
STANZA = """# stage {i}: prepare and power on
begin( description="Stage {i}", expected_time=0:05:00, max_time=0:30:00 )
  foundation.locator = "rack-{i}"
  attempts = 0
  while ( attempts < 3 ) do begin()
    attempts = attempts + 1
    result = foundation.power_on( port={i}, wait=true )
    if result == "on" then break
    delay( seconds=10 )
  end
  if not exists( config.disks ) then error( msg="no disk layout for stage {i}" )
  message( msg="stage {i} done after " . attempts . " attempts" )
  disks = [ "sda", "sdb", {{ name = "nvme0", size = 512 }} ]

end"""


def plain_loop() -> int:
    """LOOP written in Python, with the variables in a function's locals (the fastest Python can run it)."""
    cnt = 0
    total = 0
    while cnt < 100000:
        cnt = cnt + 1
        total = total + (cnt * 2) - 1
    return total


def best(fn, repeat: int = 7) -> tuple[float, float]:
    """(best, median) wall time of `fn` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def loop_speed() -> None:
    def run():
        runner = Runner(LOOP)
        outcome = runner.run(max_steps=10**8)
        assert outcome.status == "done" and runner.variables["cnt"] == 100_000, outcome

    runner_build = best(lambda: Runner(LOOP))[0]
    fastest, median = best(run, 5)
    python, python_median = best(plain_loop, 5)
    print(f"loop: 100,000 iterations in {fastest * 1000:.1f} ms (median {median * 1000:.1f} ms)")
    print(f"loop: {100_000 / fastest:,.0f} iterations/s (median {100_000 / median:,.0f})")
    print(f"loop: plain Python {python * 1000:.1f} ms (median {python_median * 1000:.1f} ms)")
    print(f"loop: {fastest / python:.1f}x plain Python (medians {median / python_median:.1f}x; target 15x)")
    print(f"runner: created from cached code in {runner_build * 1e6:.0f} us")


def parse_speed() -> None:
    source = "\n".join(STANZA.format(i=i) for i in range(200)) + "\n"
    lines = source.count("\n")
    _lark()  # the grammar is built once per process; parses reuse it

    def cold_parse():
        _analyse.cache_clear()
        parse(source)

    fastest, median = best(cold_parse)
    print(f"parse: {lines:,} lines in {fastest * 1000:.1f} ms (median {median * 1000:.1f} ms; target 100 ms)")
    compile_time = best(lambda: (compile_source.cache_clear(), compile_source(source)))[0]
    print(f"compile: {lines:,} parsed lines to instructions in {compile_time * 1000:.1f} ms")


def state_speed() -> None:
    demo = Module("foundation")
    demo.add_value("locator", getter=lambda: "rack-1", setter=lambda value: None)
    demo.add_function("power_on", Remote())
    config = Module("config")
    config.add_value("disks", getter=lambda: ["sda"])
    source = "\n".join(STANZA.format(i=i) for i in range(5)) + "\n"
    runner = Runner(source, modules=[demo, config])
    outcome = runner.run()
    assert outcome.status == "waiting", outcome
    runner.provide_result(outcome.task["cookie"], "on")
    runner.run()  # a message
    runner.run()  # waiting on the next stage's power_on
    text = json.dumps(runner.state())
    save = best(lambda: json.dumps(runner.state()), 200)[0]
    restore = best(lambda: Runner.from_state(source, json.loads(text), [demo, config]), 200)[0]
    print(f"state: {len(text)} bytes of JSON mid-run (waiting on a remote task)")
    print(f"state: save {save * 1e6:.0f} us, restore {restore * 1e6:.0f} us (target 1000 us each)")


def check_speed() -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i in range(100):
            path = Path(folder) / f"script{i}.ts"
            path.write_text(STANZA.format(i=i) + "\n" + STANZA.format(i=i + 1) + "\n")
            paths.append(str(path))
        command = [sys.executable, "-m", "tscript", "check", *paths]
        cwd = Path(__file__).resolve().parents[1]
        cold_env = dict(os.environ, TSCRIPT_CACHE_DIR=str(Path(folder) / "cache"))
        timings = {}
        for name, env in (("first call, tables built and cached", cold_env), ("tables cached", cold_env)):
            used = _child_cpu()
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
            timings[name] = (time.perf_counter() - start, _child_cpu() - used)
    lines = (STANZA.count("\n") + 1) * 2
    for name, (wall, cpu) in timings.items():
        print(f"check: 100 files of {lines} lines in one call: {wall:.2f} s wall, {cpu:.2f} s CPU ({name}; target 2 s)")


def _child_cpu() -> float:
    """CPU seconds used by finished child processes (wall time says little on a busy machine)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"Python {sys.version.split()[0]}, load average {load:.2f} (figures are only comparable on an idle machine)")
    loop_speed()
    parse_speed()
    state_speed()
    check_speed()


if __name__ == "__main__":
    main()
