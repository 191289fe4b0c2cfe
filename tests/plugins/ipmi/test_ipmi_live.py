"""An IPMI foundation's job against real parts: a live Contractor, a subcontractor process and ipmi_sim as the BMC."""

import os
import signal
import subprocess
import sys
import time

import pytest

from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create
from contractor.foreman.worker import Worker
from tests.contractor.foreman.test_protocol import registered
from tests.factories import FoundationBluePrintFactory, ScriptFactory, SiteFactory
from tests.subcontractor.subcontractor_support import Bmc, need_binary

pytestmark = pytest.mark.slow

SCRIPT = """foundation.set_boot( device="pxe" )
foundation.power_on()
state = foundation.power_state()
if state != "on" then fatal_error( msg="power is " . state )
"""


@pytest.fixture
def bmc(tmp_path):
    need_binary("ipmi_sim", "openipmi")
    sim = Bmc(tmp_path / "bmc")
    yield sim
    sim.stop()


def _daemon(tmp_path, url, token):
    config = tmp_path / "sc.toml"
    config.write_text(
        f'[contractor]\nurl = "{url}"\ntoken = "{token}"\nsite = "lab"\npoll_interval = 0.3\n'
        f'[modules]\nipmi = 2\n[log]\nlevel = "DEBUG"\n'
    )
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    command = [sys.executable, "-m", "subcontractor", "--config", str(config)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(daemon) -> str:
    daemon.send_signal(signal.SIGTERM)
    try:
        return daemon.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        daemon.kill()
        return daemon.communicate()[0]


@pytest.mark.django_db(transaction=True)
def test_power_functions_drive_a_real_bmc(live_server, bmc, tmp_path):
    """set_boot, power_on and power_state go out as ipmi tasks; the BMC ends on and set to PXE; the job is done."""
    from plugins.ipmi.models import IPMIFoundation

    site = SiteFactory(name="lab")
    blueprint = FoundationBluePrintFactory(foundation_types=["ipmi"])
    ScriptFactory(blueprint=blueprint, name="create", script=SCRIPT)
    foundation = IPMIFoundation.objects.create(
        locator="srv1", site=site, blueprint=blueprint, bmc_address="127.0.0.1", bmc_port=bmc.port,
        bmc_username="admin", bmc_password="secret",
    )  # fmt: skip
    job = job_create(target=foundation, script_name="create")
    _, client = registered("sc-ipmi", [site], modules=["ipmi"])
    daemon = _daemon(tmp_path, live_server.url, client._credentials["HTTP_AUTHORIZATION"].split()[1])
    try:
        worker, deadline = Worker(batch=5), time.monotonic() + 40
        while time.monotonic() < deadline:
            worker.run_once()
            job.refresh_from_db()
            if job.state not in (JobState.WAITING, JobState.QUEUED, JobState.RUNNING):
                break
            time.sleep(0.2)
    finally:
        output = _stop(daemon)
    assert job.state == JobState.DONE, f"{job.state}: {job.message}\n{output}"
    assert bmc.read("power") == "1" and bmc.read("boot") == "pxe"
    assert list(job.tasks.values_list("module", "function", "state")) == [
        ("ipmi", "set_boot_device", "applied"),
        ("ipmi", "power_on", "applied"),
        ("ipmi", "power_state", "applied"),
    ]
