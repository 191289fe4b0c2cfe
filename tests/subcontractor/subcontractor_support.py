"""Helpers for the subcontractor tests: a stub Contractor over real HTTP, a real BMC (ipmi_sim), server
processes (emulators), waiting."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
TOKEN = "sub-token-for-tests"


def free_port(kind=socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02):
    """Poll predicate until it is truthy; fail the test when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def need_binary(name: str, package: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)
    if not path:
        pytest.skip(f"needs {name}: apt-get install {package}")
    return path


class ServerProcess:
    """A test server run as a process of its own (an emulator, a cloud API on loopback), its output in a log.

    Started at once; ready when ``ready`` says so: a URL (any answer to a GET of it) or a function returning
    true. A server that exits or is never ready fails the test with the end of its log.
    """

    def __init__(self, command: list[str], log_path: Path, ready, timeout: float = 60, env: dict | None = None):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
        check = partial(_answers, ready) if isinstance(ready, str) else ready
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"{Path(command[0]).name} did not start: {log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def _answers(url: str) -> bool:
    import requests

    try:
        requests.get(url, timeout=2, verify=False)
    except requests.RequestException:
        return False
    return True


class StubContractor:
    """The Contractor side of the protocol, as a real HTTP server (on 127.0.0.1, or a VM lab's host address)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = free_port(host=host)
        self.lock = threading.Lock()
        self.queue: list[dict] = []
        self.polls: list[dict] = []
        self.reports: list[tuple[str, int, dict]] = []
        self.applied: dict[int, dict] = {}
        self.stale: set[int] = set()
        self.pxe_plan = {"static": [], "dynamic": []}
        self.fail_next_reports = 0
        self.auth_failures = 0
        self.server = None
        self.next_id = 1
        self.proxied: list[str] = []
        self.batch = True  # False: an older Contractor without the batch results endpoint (404)
        self.batches: list[list[int]] = []
        self.renewals: list[list[int]] = []  # task ids per lease renewal post
        self.lease_seconds = 0.4
        self.poll_lease_seconds = None  # a number: the poll answers it as `lease_seconds` (None: an older Contractor)
        self.lost: set[int] = set()  # tasks no longer leased to the daemon: not renewed

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_task(self, module, function, parameters=None, **extra) -> dict:
        with self.lock:
            task = {
                "id": self.next_id,
                "job": 100 + self.next_id,
                "module": module,
                "function": function,
                "parameters": parameters or {},
                "cookie": f"cookie-{self.next_id}",
                "lease_expires": "2099-01-01T00:00:00Z",
                "attempt": 1,
                **extra,
            }
            self.next_id += 1
            self.queue.append(task)
        return task

    def results_for(self, task_id: int) -> list[dict]:
        with self.lock:
            return [body for _kind, tid, body in self.reports if tid == task_id]

    def start(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def parse_request(self):
                ok = super().parse_request()
                if ok and self.path.startswith("http://"):
                    stub.proxied.append(self.path)
                    self.path = "/" + self.path.split("/", 3)[3]
                return ok

            def _authorised(self):
                if self.headers.get("Authorization") != f"Token {TOKEN}":
                    stub.auth_failures += 1
                    self._answer(401, {"detail": "bad token"})
                    return False
                return True

            def do_GET(self):
                if not self._authorised():
                    return
                if self.path.startswith("/api/v1/subcontractor/pxe/?site="):
                    return self._answer(200, stub.pxe_plan)
                self._answer(404, {"detail": "no such path"})

            def do_POST(self):
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path == "/api/v1/subcontractor/poll/":
                    return self._answer(200, stub.handle_poll(body))
                if self.path == "/api/v1/subcontractor/leases/" and stub.batch:
                    return self._answer(200, stub.handle_renew(body))
                if self.path == "/api/v1/subcontractor/results/" and stub.batch:
                    return self._answer(*stub.handle_batch(body))
                parts = self.path.strip("/").split("/")
                if len(parts) == 6 and parts[3] == "tasks" and parts[5] in ("result", "error"):
                    return self._answer(*stub.handle_report(parts[5], int(parts[4]), body))
                self._answer(404, {"detail": "no such path"})

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handle_renew(self, body):
        with self.lock:
            ids = [entry["task"] for entry in body["tasks"]]
            self.renewals.append(ids)
            kept = [pk for pk in ids if pk not in self.lost]
        return {"lease_seconds": self.lease_seconds,
                "tasks": [{"task": pk, "lease_expires": "2099-01-01T00:00:00Z"} for pk in kept]}  # fmt: skip

    def handle_poll(self, body):
        with self.lock:
            self.polls.append(body)
            handed, rest = [], []
            budget = dict(body.get("modules", {}))
            for task in self.queue:
                if budget.get(task["module"], 0) > 0 and body.get("site") == "lab":
                    budget[task["module"]] -= 1
                    handed.append(task)
                else:
                    rest.append(task)
            self.queue = rest
        answer = {"tasks": handed, "poll_interval": 0.05}
        if self.poll_lease_seconds is not None:
            answer["lease_seconds"] = self.poll_lease_seconds
        return answer

    def handle_batch(self, body):
        with self.lock:
            if self.fail_next_reports > 0:
                self.fail_next_reports -= 1
                return 503, {"detail": "try later"}
            self.batches.append([entry["task"] for entry in body["results"]])
        answers = []
        for entry in body["results"]:
            entry = dict(entry)
            task_id = entry.pop("task")
            code, answer = self.handle_report("error" if "error" in entry else "result", task_id, entry, batch=True)
            answers.append({"task": task_id, "detail": "", **answer})
        return 200, {"results": answers}

    def handle_report(self, kind, task_id, body, batch=False):
        with self.lock:
            if self.fail_next_reports > 0 and not batch:
                self.fail_next_reports -= 1
                return 503, {"detail": "try later"}
            self.reports.append((kind, task_id, body))
            if task_id in self.stale:
                return 409, {"status": "stale", "detail": "the task was handed out again"}
            if task_id in self.applied:
                return 200, {"status": "duplicate"}
            self.applied[task_id] = {"kind": kind, **body}
            return 200, {"status": "accepted"}


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def subprocess_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def start_subcontractor(config_file: Path, log_file: Path) -> subprocess.Popen:
    with open(log_file, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "subcontractor", "--config", str(config_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=subprocess_env(),
            cwd=REPO,
        )


CHASSIS_SCRIPT = """#!/bin/sh
# ipmi_sim chassis control: $1 is the state directory, then "get NAME..." or "set NAME VALUE...".
dir="$1"; op="$2"; shift 2
echo "$op $*" >> "$dir/log"
if [ "$op" = get ]; then
  for name in "$@"; do echo "$name:$(cat "$dir/$name" 2>/dev/null || echo 0)"; done
else
  while [ $# -ge 2 ]; do
    echo "$2" > "$dir/$1"
    # the machine obeys a soft off at once
    [ "$1" = shutdown ] && echo 0 > "$dir/power"
    shift 2
  done
fi
exit 0
"""


class Bmc:
    """A running ipmi_sim BMC on 127.0.0.1 and the state files its chassis control script keeps."""

    def __init__(self, root: Path):
        root.mkdir(parents=True)
        self.port = free_port(socket.SOCK_DGRAM)
        self.state = root / "chassis"
        self.state.mkdir()
        (self.state / "power").write_text("0\n")
        (self.state / "boot").write_text("default\n")
        script = root / "chassis.sh"
        script.write_text(CHASSIS_SCRIPT)
        script.chmod(0o755)
        auths = "none md2 md5 straight"
        (root / "lan.conf").write_text(
            f'name "contractor-test"\nset_working_mc 0x20\n  startlan 1\n    addr 127.0.0.1 {self.port}\n'
            f"    priv_limit admin\n    allowed_auths_callback {auths}\n    allowed_auths_user {auths}\n"
            f"    allowed_auths_operator {auths}\n    allowed_auths_admin {auths}\n"
            f"    guid a123456789abcdefa123456789abcdef\n  endlan\n"
            f'  chassis_control "{script} {self.state}"\n'
            f'user 1 true "" "" user 10 {auths}\nuser 2 true "admin" "secret" admin 10 {auths}\n'
        )
        (root / "emu.cmd").write_text(
            "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\n"
            "sel_enable 0x20 1000 0x0a\nmc_enable 0x20\n"
        )
        (root / "simstate").mkdir()
        self.log = open(root / "ipmi_sim.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                need_binary("ipmi_sim", "openipmi"),
                "-c",
                str(root / "lan.conf"),
                "-f",
                str(root / "emu.cmd"),
                "-s",
                str(root / "simstate"),
                "-n",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        wait_for(self._listening, timeout=5)

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"ipmi_sim exited with {self.process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError:
                return True
        return False

    def parameters(self, **overrides) -> dict:
        return {"address": "127.0.0.1", "port": self.port, "username": "admin", "password": "secret", **overrides}

    def log_lines(self) -> list[str]:
        return (self.state / "log").read_text().splitlines()

    def read(self, name: str) -> str:
        return (self.state / name).read_text().strip()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


REGION = "us-east-1"


class MotoServer:
    """moto's EC2 server as a process of its own, on a free loopback port."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(self.port)]
        self.server = ServerProcess(command, root / "moto.log", f"{self.url}/moto-api/")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def account(self, **extra) -> dict:
        return {
            "region": REGION,
            "endpoint_url": self.url,
            "access_key_id": "AKIATESTING",
            "secret_access_key": "testing-secret",
            "poll_interval": 0.2,
            **extra,
        }

    def client(self):
        return boto3.client(
            "ec2",
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id="AKIATESTING",
            aws_secret_access_key="testing-secret",
        )

    def stop(self) -> None:
        self.server.stop()
