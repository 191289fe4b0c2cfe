"""The daemon as a real process: ``python -m subcontractor --config FILE``, its config errors and its signals."""

import signal
import socket
import subprocess
import sys
import time

from subcontractor_support import TOKEN, free_port, start_subcontractor, subprocess_env, wait_for


def write_config(tmp_path, contractor, extra=""):
    path = tmp_path / "subcontractor.toml"
    path.write_text(
        f'[contractor]\nurl = "{contractor.url}"\ntoken = "{TOKEN}"\nsite = "lab"\npoll_interval = 0.1\n'
        f'[modules]\niputils = 2\n[log]\nlevel = "DEBUG"\n'
        f'[daemon]\nspool_dir = "{tmp_path / "spool"}"\nbackoff_initial = 0.1\nbackoff_max = 0.3\n{extra}'
    )
    return path


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "subcontractor", *args], capture_output=True, text=True, env=subprocess_env(), timeout=30
    )


def test_importing_the_package_loads_no_django():
    """The daemon, its handlers and the `contractor` command-line client import nothing from Django."""
    code = (
        "import sys, subcontractor, subcontractor.cli, subcontractor.daemon, subcontractor.handlers.ipmi,"
        " subcontractor.handlers.iputils, subcontractor.handlers.pxe, subcontractor.handlers.redfish,"
        " subcontractor.handlers.aws, subcontractor.handlers.containers, contractorcli.main, contractorcli.watch;"
        " print('django' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env())
    assert out.stdout.strip() == "False", out.stderr


def test_config_errors_name_the_key(tmp_path, contractor):
    """A bad config stops the daemon at once with exit status 2 and a message naming the key."""
    path = write_config(tmp_path, contractor, extra="[pxe]\nenabled = true\n")
    out = run_cli("--config", str(path))
    assert out.returncode == 2
    assert "pxe.dnsmasq_hosts_dir is required" in out.stderr
    path.write_text(path.read_text().replace("iputils = 2", "telnet = 1").replace("[pxe]\nenabled = true\n", ""))
    out = run_cli("--config", str(path))
    assert out.returncode == 2 and "modules.telnet is not a task module" in out.stderr
    assert run_cli("--config", str(tmp_path / "missing.toml")).stderr.startswith("subcontractor: cannot read config")


def test_check_flag_validates_only(tmp_path, contractor):
    """--check validates the config and exits 0 without contacting Contractor."""
    out = run_cli("--config", str(write_config(tmp_path, contractor)), "--check")
    assert out.returncode == 0 and "is valid" in out.stdout
    assert contractor.polls == []


def test_first_sigterm_is_a_warm_stop(tmp_path, contractor):
    """The first SIGTERM stops polling, lets the running task finish, posts its result and exits 0."""
    port = free_port()
    task = contractor.add_task("iputils", "wait_for_port", {"address": "127.0.0.1", "port": port, "interval": 0.1})
    process = start_subcontractor(write_config(tmp_path, contractor), tmp_path / "daemon.log")
    try:
        wait_for(lambda: any("iputils" in poll["modules"] for poll in contractor.polls) and not contractor.queue)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        polls = len(contractor.polls)
        assert process.poll() is None, "still finishing its task"
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", port))
            listener.listen(8)
            assert process.wait(timeout=10) == 0
        assert len(contractor.polls) == polls, "no polling after the first SIGTERM"
        assert contractor.applied[task["id"]]["result"]["state"] == "open"
        assert list((tmp_path / "spool").glob("*.json")) == []
    finally:
        process.kill()


def test_second_sigterm_is_a_cold_stop_and_keeps_unposted_results(tmp_path, contractor):
    """A second SIGTERM exits at once, without waiting for the running task; unposted results stay spooled."""
    quick = contractor.add_task("iputils", "port_check", {"address": "127.0.0.1", "port": free_port()})
    contractor.add_task("iputils", "wait_for_port", {"address": "127.0.0.1", "port": free_port(), "timeout": 60})
    contractor.fail_next_reports = 10**6
    process = start_subcontractor(write_config(tmp_path, contractor), tmp_path / "daemon.log")
    try:
        wait_for(lambda: list((tmp_path / "spool").glob("*.json")))
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert process.poll() is None, "a warm stop waits for the running task"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 1
        assert time.monotonic() - started < 3
    finally:
        process.kill()
    [spooled] = (tmp_path / "spool").glob("*.json")
    assert spooled.name.startswith(f"{quick['id']}-")
    assert quick["id"] not in contractor.applied
    assert "cold stop" in (tmp_path / "daemon.log").read_text()
