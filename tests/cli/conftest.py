"""A live Contractor (gunicorn and a foreman worker on the test database) for the installed `contractor` command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The process helpers are the end-to-end tests' own, so the CLI meets the server exactly as an operator's would.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from e2e.conftest import Processes  # noqa: E402

COMMAND = Path(sys.executable).parent / "contractor"  # the console script `pip install` made
PASSWORD = "pw-for-tests"


class Cli:
    """Runs the installed command with its own config directory and no CONTRACTOR_* variables of the caller."""

    def __init__(self, home: Path, env: dict):
        self.home = home
        self.env = {key: value for key, value in env.items() if not key.startswith("CONTRACTOR_")}
        self.env.update({"XDG_CONFIG_HOME": str(home), "COLUMNS": "200"})

    def __call__(self, *args, stdin: str | None = None, env: dict | None = None, timeout: float = 60):
        return subprocess.run(
            [str(COMMAND), *map(str, args)], input=stdin, capture_output=True, text=True, timeout=timeout,
            env={**self.env, **(env or {})},
        )  # fmt: skip

    def json(self, *args, **kwargs):
        """Run with --json; the parsed answer (the run must succeed)."""
        result = self(*args, "--json", **kwargs)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(scope="module")
def module_server(django_db_setup, tmp_path_factory):
    """Contractor under gunicorn and a foreman worker on the test database, started once for a module's tests (a
    start cost 3-5 s a test) and stopped after its last one."""
    running = Processes(tmp_path_factory.mktemp("cli-server"))
    url = running.contractor()
    running.foreman("foreman")
    yield url
    running.stop_all()


@pytest.fixture
def server(transactional_db, module_server):
    """Contractor's URL, with a foreman worker running jobs. The processes are the module's; each test's rows are
    flushed after it (transactional_db), so a test meets an empty database, as a fresh server would."""
    return module_server


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return Cli(tmp_path / "config", env)


@pytest.fixture
def admin(server, cli, make_user):
    """The CLI logged in (profile `default`) as an infrastructure-admin, by token."""
    from contractor.user import roles
    from contractor.user.services import user_token

    token = user_token(user=make_user("ops", roles.INFRA_ADMIN)).key
    result = cli("login", server, "--token", token)
    assert result.returncode == 0, result.stderr
    return token
