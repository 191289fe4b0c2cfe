"""The daemon's poll -> dispatch -> report cycle against a stub Contractor speaking the protocol over HTTP."""

import json
import threading
import time
from datetime import UTC, datetime

import pytest
from subcontractor_support import free_port, wait_for

from subcontractor.daemon import Daemon
from subcontractor.handlers import HandlerError
from subcontractor.handlers.iputils import FUNCTIONS as IPUTILS


class Gated:
    """A task module whose tasks block until the test opens their gate; it tracks how many run at once."""

    def __init__(self):
        self.gates: dict[int, threading.Event] = {}
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0

    def gate(self, key: int) -> threading.Event:
        with self.lock:
            return self.gates.setdefault(key, threading.Event())

    def block(self, parameters):
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            if not self.gate(parameters["key"]).wait(10):
                raise AssertionError("gate never opened")
            return {"key": parameters["key"]}
        finally:
            with self.lock:
                self.running -= 1

    def fail(self, parameters):
        raise HandlerError("the BMC said no", retryable=True)

    def crash(self, parameters):
        raise KeyError("oops")

    def handlers(self):
        return {"gated": {"block": self.block, "fail": self.fail, "crash": self.crash}, "iputils": IPUTILS}


@pytest.fixture
def gated():
    module = Gated()
    yield module
    for event in module.gates.values():
        event.set()


@pytest.fixture
def daemon_for(make_config, gated):
    made = []

    def make(modules=None, **sections):
        daemon = Daemon(make_config(modules or {"gated": 2}, **sections), handlers=gated.handlers())
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon.stop = "cold"
        daemon.teardown()


def settle(daemon, until, cycles=200):
    """Drive run_once (no sleeps beyond waiting for tasks) until the condition holds."""
    for _ in range(cycles):
        daemon.wait_idle(0.05)
        daemon.run_once()
        if until():
            return
        threading.Event().wait(0.02)
    raise AssertionError("daemon did not settle")


def spooled(tmp_path):
    return sorted(path.name for path in (tmp_path / "spool").glob("*.json"))


def test_never_more_in_flight_than_the_limit_nor_asks_for_more_than_free_slots(contractor, daemon_for, gated):
    """With a limit of 2 the daemon runs at most 2 tasks, asks only for its free slots, and skips polling when full."""
    tasks = [contractor.add_task("gated", "block", {"key": n}) for n in range(5)]
    daemon = daemon_for({"gated": 2, "iputils": 1})
    assert daemon.run_once()["dispatched"] == 2
    assert contractor.polls[-1] == {"site": "lab", "modules": {"gated": 2, "iputils": 1}}
    daemon.run_once()
    assert contractor.polls[-1]["modules"] == {"iputils": 1}, "a full module is not listed"
    assert len(daemon.running) == 2
    gated.gate(0).set()
    wait_for(lambda: daemon.run_once()["posted"] == 1 or contractor.applied.get(tasks[0]["id"]))
    assert contractor.polls[-1]["modules"] == {"gated": 1, "iputils": 1}
    for n in range(1, 5):
        gated.gate(n).set()
    settle(daemon, lambda: len(contractor.applied) == 5)
    assert gated.max_running == 2
    assert all(poll["modules"].get("gated", 0) <= 2 for poll in contractor.polls)
    assert {task["id"]: contractor.applied[task["id"]]["result"] for task in tasks} == {
        task["id"]: {"key": n} for n, task in enumerate(tasks)
    }


def test_results_and_errors_carry_the_cookie(contractor, daemon_for, gated, tmp_path):
    """A result goes to the result endpoint, a handler error or crash to the error endpoint, with the task's cookie."""
    ok = contractor.add_task("gated", "block", {"key": 1})
    failed = contractor.add_task("gated", "fail")
    crashed = contractor.add_task("gated", "crash")
    missing = contractor.add_task("gated", "no_such_function")
    gated.gate(1).set()
    daemon = daemon_for({"gated": 4})
    settle(daemon, lambda: len(contractor.applied) == 4)
    assert contractor.applied[ok["id"]] == {"kind": "result", "cookie": ok["cookie"], "result": {"key": 1}}
    assert contractor.applied[failed["id"]] == {
        "kind": "error",
        "cookie": failed["cookie"],
        "error": "the BMC said no",
        "retryable": True,
    }
    assert contractor.applied[crashed["id"]]["error"] == "KeyError: 'oops'"
    assert contractor.applied[crashed["id"]]["retryable"] is False
    assert contractor.applied[missing["id"]]["error"] == "module 'gated' has no function 'no_such_function'"
    assert spooled(tmp_path) == []


def test_a_running_task_has_its_lease_renewed_at_each_half_until_it_is_no_longer_ours(contractor, daemon_for, gated):
    """A task leased for 0.4 s is renewed about every 0.2 s while it runs, with its cookie; once Contractor leaves
    it out of an answer it is not renewed again; a finished task is not renewed, and its result is still posted."""
    soon = datetime.fromtimestamp(time.time() + 0.4, UTC).isoformat().replace("+00:00", "Z")
    kept, lost = contractor.add_task("gated", "block", {"key": 1}), contractor.add_task("gated", "block", {"key": 2})
    for task in (kept, lost):
        task["lease_expires"] = soon
    daemon = daemon_for({"gated": 2})
    daemon.run_once()
    contractor.lost.add(lost["id"])
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:
        daemon._wait(daemon._next_delay(), until_stop=True)
        daemon.run_once()
    renewed = [ids for ids in contractor.renewals if kept["id"] in ids]
    assert 3 <= len(renewed) <= 8, contractor.renewals
    assert sum(lost["id"] in ids for ids in contractor.renewals) == 1
    gated.gate(1).set()
    gated.gate(2).set()
    settle(daemon, lambda: len(contractor.applied) == 2)
    before = len(contractor.renewals)
    daemon.run_once()
    assert len(contractor.renewals) == before and daemon.renew_at == {}


def test_the_first_renewal_is_timed_by_the_polls_lease_seconds_whatever_the_clocks_say(contractor, daemon_for, gated):
    """Contractor's clock is a year ahead (lease_expires far off): the poll's `lease_seconds` times the first renewal,
    half a lease after the poll by the daemon's own clock, so it is neither a year late nor immediate."""
    contractor.poll_lease_seconds = 0.6
    ahead = datetime.fromtimestamp(time.time() + 365 * 86400, UTC).isoformat().replace("+00:00", "Z")
    task = contractor.add_task("gated", "block", {"key": 1}, lease_expires=ahead)
    daemon = daemon_for({"gated": 1})
    before = time.monotonic()
    daemon.run_once()
    after = time.monotonic()
    assert before + 0.3 <= daemon.renew_at[task["id"]] <= after + 0.3
    assert contractor.renewals == []
    deadline = time.monotonic() + 5
    while not contractor.renewals and time.monotonic() < deadline:
        daemon._wait(daemon._next_delay(), until_stop=True)
        daemon.run_once()
    assert contractor.renewals == [[task["id"]]] and time.monotonic() >= before + 0.3
    gated.gate(1).set()
    settle(daemon, lambda: task["id"] in contractor.applied)


def test_a_finished_task_ends_the_wait_at_once_and_is_reported_with_those_ending_with_it(contractor, daemon_for, gated):
    """The daemon waits up to its poll interval, but a task that ends wakes it (its slot is free, its report due);
    two tasks ending together go in one post."""
    first, second = contractor.add_task("gated", "block", {"key": 1}), contractor.add_task("gated", "block", {"key": 2})
    daemon = daemon_for({"gated": 2})
    daemon.run_once()
    assert len(daemon.running) == 2
    threading.Timer(0.2, lambda: (gated.gate(1).set(), gated.gate(2).set())).start()
    started = time.monotonic()
    daemon._wait(30, until_stop=True)
    assert time.monotonic() - started < 10, "the wait ran to its end although the tasks had finished"
    daemon.run_once()
    assert contractor.batches == [[first["id"], second["id"]]]


def test_iputils_task_end_to_end(contractor, daemon_for):
    """A real iputils task polled from Contractor is run and its result posted."""
    task = contractor.add_task("iputils", "port_check", {"address": "127.0.0.1", "port": free_port(), "timeout": 1})
    daemon = daemon_for({"iputils": 1})
    settle(daemon, lambda: task["id"] in contractor.applied)
    assert contractor.applied[task["id"]]["result"] == {"state": "closed"}


def test_duplicate_is_settled_and_stale_is_dropped_without_retry(contractor, daemon_for, gated, tmp_path):
    """ "duplicate" and a 409 "stale" both settle the report: it is posted once, never again, and leaves the spool."""
    duplicate = contractor.add_task("gated", "block", {"key": 1})
    stale = contractor.add_task("gated", "block", {"key": 2})
    contractor.applied[duplicate["id"]] = {"kind": "result", "cookie": duplicate["cookie"], "result": "earlier"}
    contractor.stale.add(stale["id"])
    gated.gate(1).set()
    gated.gate(2).set()
    daemon = daemon_for()
    settle(daemon, lambda: len(contractor.reports) == 2)
    for _ in range(5):
        daemon.run_once()
    assert len(contractor.results_for(duplicate["id"])) == 1
    assert len(contractor.results_for(stale["id"])) == 1
    assert contractor.applied[duplicate["id"]]["result"] == "earlier"
    assert stale["id"] not in contractor.applied
    assert daemon.pending == [] and spooled(tmp_path) == []


def test_contractor_down_backs_off_and_loses_no_result(contractor, daemon_for, gated, tmp_path):
    """When Contractor goes away the finished result is spooled and kept; it is posted once Contractor is back."""
    task = contractor.add_task("gated", "block", {"key": 1})
    daemon = daemon_for()
    daemon.run_once()
    contractor.stop()
    gated.gate(1).set()
    daemon.wait_idle(5)
    daemon.run_once()
    assert daemon.failures == 1 and len(daemon.pending) == 1
    assert len(spooled(tmp_path)) == 1
    retry_at = daemon.retry_at
    daemon.run_once()
    assert daemon.retry_at == retry_at, "no new attempt while backing off"
    contractor.start()
    settle(daemon, lambda: task["id"] in contractor.applied)
    assert contractor.applied[task["id"]]["result"] == {"key": 1}
    assert len(contractor.results_for(task["id"])) == 1
    assert daemon.failures == 0 and spooled(tmp_path) == []


def test_backoff_grows_with_jitter_up_to_the_cap(contractor, daemon_for):
    """Each failed attempt waits longer (exponential, randomised) but never more than backoff_max."""
    daemon = daemon_for(daemon={"backoff_initial": 1, "backoff_max": 4})
    contractor.stop()
    delays = []
    for _ in range(6):
        daemon.retry_at = 0
        before = time.monotonic()
        daemon.poll()
        delays.append(daemon.retry_at - before)
    assert 0.5 <= delays[0] <= 1.01
    assert 1 <= delays[1] <= 2.01
    assert all(2 <= delay <= 4.01 for delay in delays[3:])


def test_server_error_keeps_the_result_for_a_later_attempt(contractor, daemon_for, gated):
    """A 5xx answer to a result is retried later, and the result is applied exactly once."""
    task = contractor.add_task("gated", "block", {"key": 1})
    contractor.fail_next_reports = 2
    gated.gate(1).set()
    daemon = daemon_for()
    settle(daemon, lambda: task["id"] in contractor.applied)
    assert len(contractor.results_for(task["id"])) == 1
    assert contractor.fail_next_reports == 0


def test_spooled_results_are_posted_by_a_restarted_daemon(contractor, daemon_for, gated, tmp_path):
    """A result spooled by a daemon that died before posting it is posted by the next daemon on the same spool."""
    task = contractor.add_task("gated", "block", {"key": 1})
    first = daemon_for()
    first.run_once()
    contractor.stop()
    gated.gate(1).set()
    first.wait_idle(5)
    first.run_once()
    first.teardown()
    [name] = spooled(tmp_path)
    assert json.loads((tmp_path / "spool" / name).read_text())["cookie"] == task["cookie"]
    contractor.start()
    second = daemon_for()
    assert len(second.pending) == 1
    second.run_once()
    assert contractor.applied[task["id"]]["result"] == {"key": 1}
    assert spooled(tmp_path) == []


def test_wrong_token_is_refused_and_nothing_runs(contractor, make_config, gated):
    """Contractor refuses a wrong token; the daemon backs off and starts nothing."""
    contractor.add_task("gated", "block", {"key": 1})
    config = make_config({"gated": 1})
    daemon = Daemon(config.__class__(**{**config.__dict__, "token": "wrong"}), handlers=gated.handlers())
    try:
        assert daemon.run_once()["dispatched"] == 0
        assert contractor.auth_failures == 1 and daemon.failures == 1
    finally:
        daemon.teardown()


def test_proxy_setting_is_honoured(contractor, make_config, gated):
    """With contractor.proxy set, requests go through the proxy (here the stub, seeing absolute URLs)."""
    task = contractor.add_task("gated", "block", {"key": 1})
    gated.gate(1).set()
    config = make_config({"gated": 1}, contractor={"url": "http://contractor.test:8000", "proxy": contractor.url})
    daemon = Daemon(config, handlers=gated.handlers())
    try:
        settle(daemon, lambda: task["id"] in contractor.applied)
    finally:
        daemon.teardown()
    assert contractor.proxied[0] == "http://contractor.test:8000/api/v1/subcontractor/poll/"


def test_pxe_sync_runs_from_the_loop(contractor, daemon_for, tmp_path):
    """With pxe enabled, run_once fetches the site's PXE plan and writes the dnsmasq files."""
    contractor.pxe_plan = {
        "static": [{"mac": "52:54:00:00:00:20", "address": "10.250.0.20", "hostname": "web1", "boot": "http://c/b"}],
        "dynamic": [],
        "boot_file": "undionly.kpxe",
        "tftp_server": "10.250.0.1",
    }
    pxe = {
        "enabled": True,
        "dnsmasq_hosts_dir": str(tmp_path / "hosts"),
        "dnsmasq_opts_dir": str(tmp_path / "opts"),
        "dnsmasq_conf": str(tmp_path / "dnsmasq.conf"),
        "interval": 60,
    }
    daemon = daemon_for(pxe=pxe)
    daemon.run_once()
    assert (
        tmp_path / "hosts" / "52-54-00-00-00-20"
    ).read_text() == "52:54:00:00:00:20,set:h525400000020,10.250.0.20,web1\n"
    assert "dhcp-boot=tag:!ipxe,undionly.kpxe,,10.250.0.1" in (tmp_path / "dnsmasq.conf").read_text()
    assert daemon.sync_pxe() is None, "not again before pxe.interval"


def test_polled_tasks_start_only_after_a_fresh_pxe_sync(contractor, daemon_for, gated, tmp_path):
    """A poll that brings tasks syncs the plan first, whatever pxe.interval says: the task may power on a machine
    whose job started since the last sync, and dnsmasq must already hand it that job's boot URL."""
    host = {"mac": "52:54:00:00:00:20", "address": "10.250.0.20", "hostname": "web1", "boot": "http://c/old"}
    contractor.pxe_plan = {"static": [host], "dynamic": [], "boot_file": "undionly.kpxe", "tftp_server": ""}
    pxe = {"enabled": True, "dnsmasq_hosts_dir": str(tmp_path / "hosts"), "dnsmasq_opts_dir": str(tmp_path / "opts"),
           "dnsmasq_conf": str(tmp_path / "dnsmasq.conf"), "interval": 3600}  # fmt: skip
    daemon = daemon_for(pxe=pxe)
    daemon.run_once()
    contractor.pxe_plan = {**contractor.pxe_plan, "static": [{**host, "boot": "http://c/boot/7-token/script/"}]}
    assert daemon.poll() == 0 and "http://c/old" in (tmp_path / "opts" / "52-54-00-00-00-20").read_text()
    contractor.add_task("gated", "block", {"key": 1})
    gated.gate(1).set()
    assert daemon.poll() == 1
    assert "http://c/boot/7-token/script/" in (tmp_path / "opts" / "52-54-00-00-00-20").read_text()
    assert daemon.wait_idle(5)


def _finish_three(contractor, gated, daemon):
    """Three tasks (a result, an error, a result) finished before anything is posted; returns them."""
    tasks = [contractor.add_task("gated", "block", {"key": 1}), contractor.add_task("gated", "fail"),
             contractor.add_task("gated", "block", {"key": 3})]  # fmt: skip
    gated.gate(1).set()
    gated.gate(3).set()
    assert daemon.poll() == 3
    daemon.wait_idle(5)
    daemon.collect()
    assert len(daemon.pending) == 3
    return tasks


def test_pending_reports_go_in_one_batch_in_the_order_they_finished(contractor, daemon_for, gated, tmp_path):
    """Several finished reports are posted together to the batch endpoint, settled each by its own answer."""
    daemon = daemon_for({"gated": 3})
    tasks = _finish_three(contractor, gated, daemon)
    contractor.stale.add(tasks[2]["id"])
    finished = [report.task_id for report in daemon.pending]
    assert daemon.flush() == 3
    assert contractor.batches == [finished]
    assert contractor.applied[tasks[0]["id"]] == {"kind": "result", "cookie": tasks[0]["cookie"], "result": {"key": 1}}
    assert contractor.applied[tasks[1]["id"]] == {"kind": "error", "cookie": tasks[1]["cookie"],
                                                  "error": "the BMC said no", "retryable": True}  # fmt: skip
    assert tasks[2]["id"] not in contractor.applied, "the stale one was refused"
    assert daemon.pending == [] and spooled(tmp_path) == []
    daemon.run_once()
    assert all(len(contractor.results_for(task["id"])) == 1 for task in tasks), "nothing is posted twice"


def test_a_failed_batch_keeps_every_report_for_the_next_attempt(contractor, daemon_for, gated, tmp_path):
    """A 5xx answer to a batch keeps all its reports (and their spool files); the retry applies each once."""
    daemon = daemon_for({"gated": 3})
    tasks = _finish_three(contractor, gated, daemon)
    contractor.fail_next_reports = 1
    assert daemon.flush() == 0
    assert len(daemon.pending) == 3 and len(spooled(tmp_path)) == 3 and daemon.failures == 1
    settle(daemon, lambda: len(contractor.applied) == 3)
    assert all(len(contractor.results_for(task["id"])) == 1 for task in tasks)
    assert spooled(tmp_path) == []


def test_a_contractor_without_the_batch_endpoint_gets_the_reports_one_by_one(contractor, daemon_for, gated, tmp_path):
    """An older Contractor answers 404 to the batch endpoint: the daemon posts each report to its own endpoint."""
    contractor.batch = False
    daemon = daemon_for({"gated": 3})
    tasks = _finish_three(contractor, gated, daemon)
    assert daemon.flush() == 3
    assert contractor.batches == [] and daemon.failures == 0
    assert [tid for _kind, tid, _body in contractor.reports] == [task["id"] for task in tasks]
    assert contractor.applied[tasks[1]["id"]]["kind"] == "error"
    assert spooled(tmp_path) == []
