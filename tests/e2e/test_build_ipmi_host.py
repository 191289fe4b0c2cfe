"""Issue 4 end to end: Contractor, a foreman worker, a subcontractor daemon and ipmi_sim build and destroy a host."""

import json
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.subcontracting.services import subcontractor_register
from contractor.user.models import User
from contractor.utilities.models import Address, AddressBlock, RealNetworkInterface
from tests.e2e.conftest import ROOT, free_tcp_port
from tests.factories import SiteFactory, StructureFactory
from tests.subcontractor.subcontractor_support import Bmc, need_binary

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent

CHASSIS = """#!/bin/sh
# ipmi_sim chassis control; on "set power 1" the booted host process starts.
dir="$1"; op="$2"; shift 2
echo "$op $*" >> "$dir/log"
if [ "$op" = get ]; then
  for name in "$@"; do echo "$name:$(cat "$dir/$name" 2>/dev/null || echo 0)"; done
else
  while [ $# -ge 2 ]; do
    echo "$2" > "$dir/$1"
    [ "$1" = shutdown ] && echo 0 > "$dir/power"
    if [ "$1" = power ] && [ "$2" = 1 ]; then
      setsid {python} {booted_host} {url} {host} "$dir" {ssh_port} >> "$dir/booted_host.log" 2>&1 < /dev/null &
    fi
    shift 2
  done
fi
exit 0
"""


@pytest.fixture
def bmc(tmp_path):
    need_binary("ipmi_sim", "openipmi")
    sim = Bmc(tmp_path / "bmc")
    yield sim
    sim.stop()


def _api(url: str, token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Token {token}"
    session.base_url = url
    return session


def _watch(session, url: str, job_ids: list[int], processes, seconds: float = 90) -> dict:
    """Poll the job API until every job has ended; return the last state of each."""
    deadline, states = time.monotonic() + seconds, {}
    while time.monotonic() < deadline:
        states = {pk: session.get(f"{url}/api/v1/jobs/{pk}/", timeout=10).json() for pk in job_ids}
        if all(body.get("state") in ("done", "error", "aborted") for body in states.values()):
            return states
        time.sleep(0.5)
    pytest.fail(f"jobs did not finish within {seconds}s: {states}\n{processes.logs()}")


def _target_state(session, url: str, path: str) -> str:
    return session.get(f"{url}/api/v1/{path}", timeout=10).json()["state"]


def _running_lab(processes, bmc):
    """The ipmi-server host srv1 with structure web1 and every process running; returns (url, api, structure)."""
    from plugins.ipmi.models import IPMIFoundation

    call_command("load_blueprints", str(ROOT / "plugins/ipmi/blueprints.toml"))
    site = SiteFactory(name="lab")
    pxe = PXE.objects.create(name="e2e-pxe", boot_script="#!ipxe\necho {{ _hostname }} {{ _structure_config_uuid }}\n")
    foundation = IPMIFoundation.objects.create(
        locator="srv1", site=site, blueprint=FoundationBluePrint.objects.get(name="ipmi-server"),
        bmc_address="127.0.0.1", bmc_port=bmc.port, bmc_username="admin", bmc_password="secret",
    )  # fmt: skip
    RealNetworkInterface.objects.create(
        foundation=foundation, name="eth0", mac="52:54:00:00:00:01", is_provisioning=True, pxe=pxe
    )
    ssh_port = free_tcp_port()
    structure = StructureFactory(
        hostname="web1", site=site, foundation=foundation, config_values={"ssh_port": ssh_port},
        blueprint=StructureBluePrint.objects.get(name="ipmi-linux"),  # the shipped blueprint, as loaded above
    )  # fmt: skip
    # the "installed OS" (booted_host.py) answers SSH on 127.0.0.1: that is web1's primary address
    loopback = AddressBlock.objects.create(name="loopback", site=site, subnet="127.0.0.0", prefix=8)
    Address.objects.create(
        address_block=loopback, offset=1, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    admin = User.objects.create_superuser("e2e-admin", "admin@example.com", "e2e-password")
    token = Token.objects.create(user=admin).key
    _, sc_token = subcontractor_register(name="sc-e2e", sites=["lab"], modules=["ipmi", "iputils"])

    url = processes.contractor()
    (bmc.state.parent / "chassis.sh").write_text(
        CHASSIS.replace("{python}", sys.executable).replace("{booted_host}", str(HERE / "booted_host.py"))
        .replace("{url}", url).replace("{host}", f"{sc_token} lab 52:54:00:00:00:01")  # what DHCP knows it by
        .replace("{ssh_port}", str(ssh_port))
    )  # fmt: skip
    processes.foreman("foreman")
    processes.subcontractor("daemon", url, sc_token, "lab", "ipmi = 2\niputils = 2")
    api = _api(url, token)

    assert api.post(f"{url}/api/v1/foundations/srv1/located/", json={}, timeout=10).status_code == 200
    return url, api, structure


def test_an_ipmi_host_is_built_and_destroyed_by_real_processes(processes, bmc):
    """Jobs created over the API drive ipmi_sim (PXE, power), the booted host signals and opens SSH; both built."""
    url, api, structure = _running_lab(processes, bmc)
    created = api.post(f"{url}/api/v1/foundations/srv1/jobs/", json={"script": "create"}, timeout=10)
    assert created.status_code == 201, created.text
    states = _watch(api, url, [created.json()["id"]], processes)
    assert [body["state"] for body in states.values()] == ["done"], states
    assert _target_state(api, url, "foundations/srv1/") == "built"
    assert bmc.read("boot") == "pxe" and (bmc.state / "signal.json").exists()
    assert (bmc.state / "boot_script.txt").read_text() == f"#!ipxe\necho web1 {structure.config_uuid}\n"
    # it booted below the boot token of the job building it, which opens nothing now that the job is done
    boot_url = (bmc.state / "boot_url.txt").read_text()
    assert boot_url.startswith(f"{url}/boot/{created.json()['id']}-") and boot_url.endswith("/script/")
    anonymous = requests.Session()
    anonymous.trust_env = False
    assert anonymous.get(boot_url, timeout=10).status_code == 404
    assert boot_url.split("/")[-3] not in api.get(f"{url}/api/v1/jobs/", timeout=10).text

    created = api.post(f"{url}/api/v1/structures/{structure.pk}/jobs/", json={"script": "create"}, timeout=10)
    assert created.status_code == 201, created.text
    states = _watch(api, url, [created.json()["id"]], processes)
    assert [body["state"] for body in states.values()] == ["done"], f"{states}\n{processes.logs()}"
    assert _target_state(api, url, f"structures/{structure.pk}/") == "built"
    assert bmc.read("power") == "1"
    log = bmc.log_lines()  # ipmi-linux set the boot device to disk (ipmi_sim calls that "default"), then power on
    assert "set boot default" in log and log.index("set boot default") > log.index("set boot pxe"), log

    admin_session = requests.Session()
    admin_session.trust_env = False
    admin_session.get(f"{url}/admin/login/", timeout=10)
    login = admin_session.post(
        f"{url}/admin/login/?next=/admin/",
        data={"username": "e2e-admin", "password": "e2e-password",
              "csrfmiddlewaretoken": admin_session.cookies["csrftoken"]},
        timeout=10,
    )  # fmt: skip
    assert login.status_code == 200
    changelist = admin_session.get(f"{url}/admin/foreman/job/", timeout=10)
    assert changelist.status_code == 200 and "srv1" in changelist.text and "web1" in changelist.text

    for path in (f"structures/{structure.pk}", "foundations/srv1"):
        destroyed = api.post(f"{url}/api/v1/{path}/jobs/", json={"script": "destroy"}, timeout=10)
        assert destroyed.status_code == 201, destroyed.text
        states = _watch(api, url, [destroyed.json()["id"]], processes)
        assert [body["state"] for body in states.values()] == ["done"], states
        assert _target_state(api, url, f"{path}/") == "planned"
    assert bmc.read("power") == "0"
    assert "set boot pxe" in bmc.log_lines() and bmc.log_lines().count("set power 1") >= 2


def test_foundation_and_structure_jobs_created_together_both_finish(processes, bmc):
    """Both create jobs posted at once: the foundation's job is signalled by the booted host and both end built."""
    url, api, structure = _running_lab(processes, bmc)
    created = [
        api.post(f"{url}/api/v1/{path}/jobs/", json={"script": "create"}, timeout=10)
        for path in ("foundations/srv1", f"structures/{structure.pk}")
    ]
    assert [response.status_code for response in created] == [201, 201], [response.text for response in created]
    states = _watch(api, url, [response.json()["id"] for response in created], processes, seconds=25)
    assert [body["state"] for body in states.values()] == ["done", "done"], states
    assert json.loads((bmc.state / "signal.json").read_text())["job"] == created[0].json()["id"]
