"""Real processes for the end-to-end tests: Contractor (gunicorn), foreman workers and subcontractor daemons.

They share the test database pytest-django created: PostgreSQL, or on SQLite the file that settings.py names
as the test database (WAL, IMMEDIATE transactions), never an in-memory one.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = "3"
#: A job waiting for another target's job (a structure's create for its foundation's) looks again after this, not the
#: 5 s of FOREMAN_WAITING_POLL_SECONDS: each build of a foundation with its structure waited 2.5 s on average for it.
WAITING_POLL_SECONDS = "0.5"


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def database_url() -> str:
    """The CONTRACTOR_DATABASE_URL of the test database pytest-django created, for the subprocesses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if connection.is_in_memory_db() or not Path(name).is_absolute():
            pytest.fail(f"the SQLite test database must be a file with an absolute path to share, not {name!r}")
        return f"sqlite:///{name}"  # an absolute path: sqlite:////tmp/...
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def drop_database_connections() -> int:
    """pg_terminate_backend for every other client connection to this test database (only this one, never
    another database on the server); how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


class Processes:
    """Starts named subprocesses in their own process groups, logs each to a file, and kills them all at the end."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "CONTRACTOR_DATABASE_URL": database_url(),
            "CONTRACTOR_TASK_LEASE_SECONDS": LEASE_SECONDS,
            "CONTRACTOR_FOREMAN_WAITING_POLL_SECONDS": WAITING_POLL_SECONDS,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            self.env.pop(name, None)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.tmp_path / f"{name}.log", "w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = process
        return process

    def kill(self, name: str, sig=signal.SIGKILL):
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.tmp_path.glob("*.log")))

    def contractor(self, port: int | None = None, name: str = "contractor") -> str:
        """Contractor under gunicorn with two workers, as scripts/serve runs it; returns its base URL."""
        port = port or free_tcp_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.start(
            name,
            [gunicorn, "contractor.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--no-control-socket", "--access-logfile", "-", "--capture-output"],
        )  # fmt: skip

        def up():
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        assert wait_until(up, 30), self.logs()
        return f"http://127.0.0.1:{port}"

    def foreman(self, name: str):
        return self.start(name, [sys.executable, "manage.py", "foreman", "--interval", "0.1"])

    def webhooks(self, name: str):
        return self.start(name, [sys.executable, "manage.py", "webhooks", "--poll", "0.2", "--timeout", "2"])

    def subcontractor(self, name: str, url: str, token: str, site: str, modules: str):
        config = self.tmp_path / f"{name}.toml"
        config.write_text(
            f'[contractor]\nurl = "{url}"\ntoken = "{token}"\nsite = "{site}"\npoll_interval = 0.3\ntimeout = 5\n'
            f'[modules]\n{modules}\n[log]\nlevel = "DEBUG"\n[daemon]\nspool_dir = "{self.tmp_path / name}-spool"\n'
        )
        return self.start(name, [sys.executable, "-m", "subcontractor", "--config", str(config)])

    def stop_all(self):
        for name in list(self.running):
            self.kill(name)


@pytest.fixture
def processes(transactional_db, tmp_path):
    """Real Contractor/foreman/subcontractor processes on the test database (SQLite file or PostgreSQL)."""
    running = Processes(tmp_path)
    yield running
    running.stop_all()
