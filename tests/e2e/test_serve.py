"""scripts/serve from a first run: the port and bind it is given are the ones it serves and hands out, offline docs."""

import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import free_tcp_port, wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """scripts/serve on a SQLite file of its own, with a free CONTRACTOR_PORT and a var dir in a temporary folder.

    Both tests share one: its first run (migrate, the demo, collectstatic) took 9-19 s a start. The first test
    only reads; the second kills its processes and waits for each to be started again."""
    tmp_path = tmp_path_factory.mktemp("serve")
    port = free_tcp_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACTOR_")}
    env.update(
        CONTRACTOR_PORT=str(port),
        CONTRACTOR_BIND="127.0.0.1",
        CONTRACTOR_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        CONTRACTOR_VAR_DIR=str(tmp_path / "var"),
        CONTRACTOR_WEB_WORKERS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    session = requests.Session()
    session.trust_env = False
    try:
        deadline = time.monotonic() + 240
        while "Listening at:" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", session, tmp_path, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_serve_hands_out_the_port_it_serves_and_its_docs_work_offline(serve):
    url, session, tmp_path, log = serve
    assert f"Listening at: {url}" in log.read_text()
    # (generous client timeouts: on a loaded machine the first requests of a fresh gunicorn worker can be slow)
    # the demo's web01 config (as an admin reads it; nothing builds it, so its boot endpoints are a 404): every URL
    # in it points at this port, not a default 8000
    with sqlite3.connect(tmp_path / "serve.sqlite3") as db:
        (pk,) = db.execute("SELECT id FROM building_structure WHERE hostname = 'web01'").fetchone()
    session.get(f"{url}/admin/login/", timeout=60)
    password = (tmp_path / "var" / "admin-password").read_text().strip()
    login = session.post(f"{url}/admin/login/?next=/admin/", timeout=60, data={
        "username": "admin", "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]})  # fmt: skip
    assert login.status_code == 200 and "/admin/logout/" in login.text, login.text[:500]
    config = session.get(f"{url}/api/v1/structures/{pk}/config/", timeout=60).json()
    assert config["__contractor_host"] == url and config["__pxe_location"].startswith(url + "/")
    # the interactive reference loads Swagger UI from this server only (drf-spectacular-sidecar, WhiteNoise)
    page = session.get(f"{url}/api/v1/docs/", timeout=60).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))], assets
    for asset in assets:
        assert session.get(f"{url}{asset}", timeout=60).status_code == 200, asset
    assert "swagger-ui-bundle.js" in page
    # debug pages are off: a miss is a plain 404, and the admin is styled
    assert "URLconf" not in session.get(f"{url}/no-such-page/", timeout=60).text
    assert session.get(f"{url}/static/admin/css/base.css", timeout=60).status_code == 200
    assert (tmp_path / "var" / "admin-password").exists()
    # the DNS follower writes the demo's zone, its reverse zone and the named.conf fragment naming them
    zone = tmp_path / "var" / "dns" / "lab.example.com.zone"
    assert wait_until(lambda: zone.exists() and "eth0.web01" in zone.read_text(), 60), log.read_text()
    assert "0.0.10.in-addr.arpa" in (tmp_path / "var" / "dns" / "zones.conf").read_text()


def test_serve_starts_a_process_that_dies_again_and_says_why(serve):
    """A killed foreman worker, webhook sender or gunicorn is started again and the log says how it ended."""
    url, session, tmp_path, log = serve
    var = tmp_path / "var"
    for name, command in (
        ("foreman", "foreman"),
        ("webhooks", "webhooks"),
        ("dns", "dns_zones"),
        ("gunicorn", "gunicorn"),
    ):
        killed = int((var / f"{name}.pid").read_text())
        os.kill(killed, signal.SIGKILL)

        def started_again(name=name, command=command, killed=killed):
            pid = int((var / f"{name}.pid").read_text() or 0)
            cmdline = Path(f"/proc/{pid}/cmdline")
            return pid != killed and cmdline.exists() and command in cmdline.read_text()

        assert wait_until(started_again, 60), log.read_text()
        assert f"serve: {name} (pid {killed}) was killed by signal KILL; starting it again in 1 s" in log.read_text()
    assert "serve: foreman" in (var / "foreman.log").read_text()  # each worker's own log says so too
    assert wait_until(lambda: log.read_text().count("Listening at:") == 2, 60), log.read_text()
    assert session.get(f"{url}/api/v1/", timeout=60).status_code in (200, 401, 403)
    # the demo's secret key was made once, readable by its owner only
    assert (var / "secret-key").stat().st_mode & 0o777 == 0o600
