"""`python -m tscript check|run`, and importing tscript without Django."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tscript(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tscript", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


@pytest.fixture
def script(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "job.ts"
        path.write_text(text)
        return str(path)

    return write


def test_check_valid(script):
    """A valid script exits 0 and prints nothing."""
    result = tscript("check", script("x = 1\n"))
    assert (result.returncode, result.stdout) == (0, "")


def test_check_invalid_prints_position_line_and_caret(script):
    """An invalid script exits 1 with FILE:LINE:COLUMN: message, the line and a caret."""
    path = script("x = 1\ny = ( 2 + \nz = 3\n")
    result = tscript("check", path)
    assert result.returncode == 1
    first, line, caret = result.stdout.splitlines()[:3]
    assert first.startswith(f"{path}:3:3: ") and "the '(' at line 2, column 5 is still open" in first
    assert line == "z = 3" and caret == "  ^"


def test_check_reads_stdin():
    """FILE may be - for standard input."""
    result = tscript("check", "-", stdin="x = [ 1,\n")
    assert result.returncode == 1 and result.stdout.startswith("-:")


def run_json(*args: str, stdin: str) -> tuple[int, dict]:
    result = tscript("run", "-", "--json", *args, stdin=stdin)
    return result.returncode, json.loads(result.stdout)


SCRIPT = "x = 1\npause( msg='hold' )\ndelay( seconds=90 )\nmessage( msg='after' )\nerror( msg='oops' )\nd = 1:30\n"


def test_run_stops_at_the_first_pause():
    """Without --resume the run stops at a pause (exit 3), yields just continue."""
    code, result = run_json(stdin="message( msg='hi' )\n" + SCRIPT)
    assert code == 3
    assert result["status"] == "paused" and result["message"] == "hold"
    assert result["steps"] == [{"status": "yielded", "message": "hi"}, {"status": "paused", "message": "hold"}]
    assert result["variables"] == {"x": 1} and "error" not in result


def test_run_resume_goes_to_the_end():
    """--resume resumes pauses and errors and waits out delays, recording every step."""
    code, result = run_json("--resume", stdin=SCRIPT)
    assert code == 0 and result["status"] == "done"
    assert [step["status"] for step in result["steps"]] == ["paused", "waiting", "yielded", "error", "done"]
    assert result["steps"][1]["message"] == "Waiting for 90 more seconds"
    assert result["variables"] == {"x": 1, "d": 90}


def test_run_abort_reports_the_error():
    """A fatal error exits 1 with the error's kind, message and position."""
    code, result = run_json("--resume", stdin="x = 1\ny = x + 'a'\n")
    assert code == 1 and result["status"] == "aborted"
    assert result["error"] == {"kind": "bad_operand", "message": result["message"], "line": 2, "column": 7}


def test_run_error_without_resume():
    """A resumable error without --resume stops with status error (exit 3)."""
    code, result = run_json(stdin="error( msg='no' )\n")
    assert code == 3 and result["status"] == "error" and result["error"]["kind"] == "script_error"


def test_run_delay_without_resume_is_waiting():
    """A delay without --resume stops with status waiting."""
    code, result = run_json(stdin="delay( minutes=1 )\n")
    assert code == 3 and result["status"] == "waiting"


def test_run_syntax_error():
    """A syntax error exits 2 with status syntax_error and its position."""
    code, result = run_json(stdin="x = = 1\n")
    assert code == 2 and result["status"] == "syntax_error"
    assert (result["error"]["kind"], result["error"]["line"], result["error"]["column"]) == ("syntax", 1, 5)
    assert result["steps"] == []


def test_run_text_output(script):
    """Without --json the steps and the variables are printed for people."""
    result = tscript("run", script("x = 2\n"))
    assert result.returncode == 0 and "[done]" in result.stdout and '"x": 2' in result.stdout


def test_import_does_not_import_django():
    """`import tscript` (and running a script) leaves django out of sys.modules."""
    code = "import sys, tscript; tscript.Runner('x = 1').run(); print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_check_takes_several_files(tmp_path):
    """One call checks every file given; the exit status is 1 if any has an error, and each error names its file."""
    paths = []
    for i in range(100):
        path = tmp_path / f"s{i}.ts"
        path.write_text(f"x = {i}\n" if i != 42 else "if x\n  y = 1\n")
        paths.append(str(path))
    result = tscript("check", *paths)
    assert result.returncode == 1
    message = "Unexpected end of line: 'if' needs 'then' after its condition"
    assert result.stdout.splitlines()[0] == f"{paths[42]}:1:5: {message}"
    assert len(result.stdout.splitlines()) == 3
    assert tscript("check", *paths[:42], *paths[43:]).returncode == 0


def test_parser_tables_are_cached_in_a_private_folder(tmp_path, monkeypatch):
    """The tables are cached under TSCRIPT_CACHE_DIR, keyed by the grammar; a folder or file others could
    write (or a symlink) is never used, since lark loads its cache with pickle."""
    import os

    from tscript.parser import table_cache_path

    folder = tmp_path / "cache"
    env = {"TSCRIPT_CACHE_DIR": str(folder)}
    result = subprocess.run(
        [sys.executable, "-m", "tscript", "check", "-"], input="x = 1\n", capture_output=True, text=True,
        cwd=ROOT, timeout=60, env={**os.environ, **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (cached,) = folder.iterdir()
    monkeypatch.setenv("TSCRIPT_CACHE_DIR", str(folder))
    assert table_cache_path((ROOT / "tscript" / "grammar.lark").read_text()) == str(cached)
    assert table_cache_path("start: NAME\n") != str(cached)
    folder.chmod(0o777)
    assert table_cache_path("anything") is None
    folder.chmod(0o700)
    cached.unlink()
    cached.symlink_to(tmp_path / "elsewhere")
    assert table_cache_path((ROOT / "tscript" / "grammar.lark").read_text()) is None
    monkeypatch.setenv("TSCRIPT_CACHE_DIR", "")
    assert table_cache_path("anything") is None


def test_run_resume_gives_up_on_an_endless_loop():
    """--max-total-steps caps the instructions of a whole --resume run, so an endless loop ends with gave_up."""
    code, result = run_json(
        "--resume", "--budget", "300", "--max-total-steps", "1000", stdin="x = 0\nwhile true do x = x + 1\n"
    )
    assert code == 3
    message = "Gave up after 1,000 instructions in all (--max-total-steps)"
    assert (result["status"], result["message"]) == ("gave_up", message)
    assert [step["status"] for step in result["steps"]] == ["error"] * 4 + ["gave_up"]
    assert result["steps"][3]["message"] == "Step budget spent (100 instructions)"


def test_run_resume_gives_up_after_max_steps():
    """A loop that yields every step ends after --max-steps steps with gave_up, not with its last yield."""
    code, result = run_json("--resume", "--max-steps", "3", stdin="while true do message( msg='again' )\n")
    assert code == 3
    assert (result["status"], result["message"]) == ("gave_up", "Gave up after 3 steps (--max-steps)")


def test_check_warns_against_named_and_described_modules(script, tmp_path):
    """--modules names the modules a script may use, --module-file describes their functions: both give warnings."""
    described = tmp_path / "modules.json"
    described.write_text(json.dumps({"foundation": {"power_on": [], "set_boot": ["device"]}, "config": None}))
    path = script("foundation.power_onn()\nfoundation.set_boot( devce='pxe' )\nx = iputil.port_check( port=22 )\n")
    result = tscript("check", path, "--modules", "iputils", "--module-file", str(described))
    assert result.returncode == 0
    assert [line for line in result.stdout.splitlines() if line.startswith(path)] == [
        f"{path}:1:1: warning: Module 'foundation' has no function 'power_onn' (did you mean 'power_on'?)",
        f"{path}:2:22: warning: foundation.set_boot() has no parameter 'devce' (it takes device)",
        f"{path}:3:5: warning: Unknown module 'iputil' (did you mean 'iputils'?)",
    ]
    described.write_text("[1]")
    result = tscript("check", path, "--module-file", str(described))
    assert result.returncode == 2 and "expected {" in result.stderr
