"""The settings scripts/serve runs with: no debug pages unless a developer asks, static files served by gunicorn."""

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def serve_env(tmp_path: Path, **extra) -> dict:
    """The environment of a first run: no CONTRACTOR_DEBUG, a database and static root of the test's own."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACTOR_")}
    env.update(
        CONTRACTOR_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        CONTRACTOR_STATIC_ROOT=str(tmp_path / "static"),
        CONTRACTOR_SECRET_KEY=secrets.token_urlsafe(50),  # as scripts/serve makes one: DEBUG off refuses the default
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def setting(env: dict, expression: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "contractor.settings"},
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip


def test_debug_is_off_unless_a_developer_asks(tmp_path):
    assert setting(serve_env(tmp_path), "settings.DEBUG") == "False"
    assert setting(serve_env(tmp_path, CONTRACTOR_DEBUG="1"), "settings.DEBUG") == "True"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn on an ephemeral 127.0.0.1 port with serve's defaults, after collectstatic; yields its base URL."""
    tmp_path = tmp_path_factory.mktemp("serve")
    env = serve_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    log = tmp_path / "gunicorn.log"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with open(log, "w") as out:
        process = subprocess.Popen([gunicorn, "contractor.wsgi:application", "--bind", "127.0.0.1:0", "--workers", "1",
                                     "--no-control-socket"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        session = requests.Session()
        session.trust_env = False  # never a proxy for 127.0.0.1
        yield found.group(1), session
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_static_files_are_served_with_debug_off(served):
    """The admin's CSS comes from gunicorn itself (WhiteNoise), so the admin is styled on a first run."""
    url, session = served
    response = session.get(f"{url}/static/admin/css/base.css")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/css")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_unknown_paths_give_no_debug_page(served, host):
    """A miss is a JSON 404 under /api/ and a plain page elsewhere, at 127.0.0.1 and localhost alike."""
    url, session = served
    port = url.rsplit(":", 1)[1]
    api = session.get(f"{url}/api/v1/no-such-things/", headers={"Host": f"{host}:{port}"})
    assert api.status_code == 404 and api.json()["detail"].startswith("Nothing at /api/v1/no-such-things/")
    page = session.get(f"{url}/no-such-page/", headers={"Host": f"{host}:{port}"})
    assert page.status_code == 404 and "URLconf" not in page.text and "Traceback" not in page.text
