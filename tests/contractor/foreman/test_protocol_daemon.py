"""A real subcontractor daemon process against a live Contractor: it leases a port check and posts the result."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from contractor.subcontracting.choices import TaskState
from tests.contractor.foreman.test_protocol import make_task, registered
from tests.factories import SiteFactory

pytestmark = pytest.mark.slow


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 (the only kind of target port checks may use here)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def _config(tmp_path, url, token, where='site = "lab"') -> str:
    path = tmp_path / "subcontractor.toml"
    path.write_text(
        f'[contractor]\nurl = "{url}"\ntoken = "{token}"\n{where}\npoll_interval = 0.5\ntimeout = 5\n'
        f'[modules]\niputils = 2\n[log]\nlevel = "DEBUG"\n[daemon]\nspool_dir = "{tmp_path / "spool"}"\n'
    )
    return str(path)


def _wait_for(task, states, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.state in states:
            return
        time.sleep(0.2)


def _run_daemon(config: str, tasks) -> tuple[subprocess.Popen, str]:
    """Run the daemon with `config` (no proxy) until every task has its answer, stop it warm; its output."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    daemon = subprocess.Popen([sys.executable, "-m", "subcontractor", "--config", config],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        for task in tasks:
            _wait_for(task, (TaskState.DONE, TaskState.FAILED))
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            output = daemon.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            daemon.kill()
            output = daemon.communicate()[0]
    return daemon, output


@pytest.mark.django_db(transaction=True)
def test_a_daemon_leases_a_port_check_and_posts_the_result(live_server, listener, tmp_path):
    """The daemon polls, runs iputils.port_check against a loopback listener, and the task ends done, open."""
    site = SiteFactory(name="lab")
    subcontractor, client = registered("sc-live", [site], modules=["iputils"])
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    task = make_task(site, module="iputils", function="port_check")
    task.parameters = {"address": "127.0.0.1", "port": listener, "timeout": 2}
    task.save()
    daemon, output = _run_daemon(_config(tmp_path, live_server.url, token), [task])
    assert task.state == TaskState.DONE, output
    assert task.result == {"state": "open"} and task.attempts == 1
    assert task.leased_by == subcontractor
    subcontractor.refresh_from_db()
    assert subcontractor.last_poll_at is not None
    assert daemon.returncode == 0, output


@pytest.mark.django_db(transaction=True)
def test_one_daemon_serves_several_sites_and_their_sub_sites(live_server, listener, tmp_path):
    """Registered with --site rack1 --site rack2 and configured with the same `sites`, one daemon runs the tasks of
    rack1, rack1/shelf and rack2, and leaves rack3's alone."""
    from django.core.management import call_command

    dc = SiteFactory(name="dc")
    rack1, rack2, rack3 = (SiteFactory(name=name, parent=dc) for name in ("rack1", "rack2", "rack3"))
    shelf = SiteFactory(name="shelf", parent=rack1)
    out = tmp_path / "token"
    with out.open("w") as stream:
        call_command("subcontractor_register", "racks", "--site", "rack1", "--site", "rack2", "--module", "iputils",
                     stdout=stream)  # fmt: skip
    token = out.read_text().strip()
    tasks = {}
    for site in (rack1, shelf, rack2, rack3):
        tasks[site.name] = make_task(site, module="iputils", function="port_check")
        tasks[site.name].parameters = {"address": "127.0.0.1", "port": listener, "timeout": 2}
        tasks[site.name].save()
    config = _config(tmp_path, live_server.url, token, where='sites = ["rack1", "rack2"]')
    daemon, output = _run_daemon(config, [tasks[name] for name in ("rack1", "shelf", "rack2")])
    for name in ("rack1", "shelf", "rack2"):
        assert tasks[name].state == TaskState.DONE, output
        assert tasks[name].result == {"state": "open"}
    tasks["rack3"].refresh_from_db()
    assert tasks["rack3"].state == TaskState.PENDING and tasks["rack3"].attempts == 0
    assert "rack1, rack2" in output
    assert daemon.returncode == 0, output
