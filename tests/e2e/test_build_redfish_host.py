"""Issue 12 end to end: Contractor (gunicorn), a foreman worker and a subcontractor daemon build and destroy a
Redfish foundation against sushy-tools' emulator (fake driver) over HTTP.

The test plays the machine: once the emulator reports it on, it fetches its boot script and config by the MAC the
BMC's inventory recorded, signals, and powers itself off through the emulator, as an installer would. At each
step the emulator's own Redfish API (plain requests, not the handler's sushy client) says what was done to it.
"""

import time
from urllib.parse import urlsplit

import pytest
import requests
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from contractor.user.models import User
from contractor.utilities.models import Address, AddressBlock, RealNetworkInterface
from tests.e2e.conftest import ROOT, wait_until
from tests.factories import SiteFactory, StructureFactory
from tests.subcontractor.redfish_support import (
    FAKE_MACS,
    FAKE_UUID,
    PASSWORD,
    USERNAME,
    RedfishEmulator,
    fake_systems,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def emulator(tmp_path):
    bmc = RedfishEmulator(
        tmp_path / "bmc",
        config={"SUSHY_EMULATOR_FAKE_DRIVER": True, "SUSHY_EMULATOR_FAKE_SYSTEMS": fake_systems(FAKE_UUID)},
    )
    yield bmc
    bmc.stop()


def _session(token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    if token:
        session.headers["Authorization"] = f"Token {token}"
    return session


def _wait_job(api, url: str, job: int, processes, seconds: float = 30) -> dict:
    body: dict = {}

    def ended():
        nonlocal body
        body = api.get(f"{url}/api/v1/jobs/{job}/", timeout=10).json()
        return body.get("state") in ("done", "error", "aborted")

    assert wait_until(ended, seconds, interval=0.3), (
        f"job {job} did not end within {seconds}s: {body}\n{processes.logs()}"
    )
    return body


def test_a_redfish_foundation_is_built_and_destroyed_by_real_processes(processes, emulator):
    """create: the BMC's inventory lands in id_map and gives the provisioning NIC its MAC, the system is booted
    once to PXE and powered on; the machine boots by that MAC, signals and powers off; destroy powers it off."""
    from plugins.redfish.models import RedfishFoundation

    call_command("load_blueprints", str(ROOT / "plugins/redfish/blueprints.toml"))
    site = SiteFactory(name="lab")
    pxe = PXE.objects.create(name="e2e-pxe", boot_script="#!ipxe\necho {{ _hostname }} {{ _structure_config_uuid }}\n")
    foundation = RedfishFoundation.objects.create(
        locator="rf1", site=site, blueprint=FoundationBluePrint.objects.get(name="redfish-server"),
        bmc_url=emulator.url, bmc_username=USERNAME, bmc_password=PASSWORD, system_id=FAKE_UUID,
    )  # fmt: skip
    # no MAC yet: the BMC's inventory supplies it, and the boot endpoints know the machine by it
    RealNetworkInterface.objects.create(foundation=foundation, name="eth0", mac="", is_provisioning=True, pxe=pxe)
    structure = StructureFactory(
        hostname="rfweb1", site=site, foundation=foundation,
        blueprint=StructureBluePrint.objects.get(name="redfish-linux"),
    )  # fmt: skip
    loopback = AddressBlock.objects.create(name="loopback", site=site, subnet="127.0.0.0", prefix=8)
    Address.objects.create(
        address_block=loopback, offset=1, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    admin = User.objects.create_superuser("e2e-admin", "admin@example.com")
    api = _session(Token.objects.create(user=admin).key)
    _, sc_token = subcontractor_register(name="sc-e2e", sites=["lab"], modules=["redfish"])
    url = processes.contractor()
    processes.foreman("foreman")
    processes.subcontractor("daemon", url, sc_token, "lab", "redfish = 2")
    assert api.post(f"{url}/api/v1/foundations/rf1/located/", json={}, timeout=10).status_code == 200
    machine = _session()
    mac = FAKE_MACS[0]  # the first NIC the emulator lists (by Id)
    assert machine.get(f"{url}/boot/script/", params={"mac": mac}, timeout=10).status_code == 404  # not known yet
    assert emulator.system(FAKE_UUID)["PowerState"] == "Off"

    started = time.monotonic()
    created = api.post(f"{url}/api/v1/foundations/rf1/jobs/", json={"script": "create"}, timeout=10)
    assert created.status_code == 201, created.text
    assert wait_until(lambda: emulator.system(FAKE_UUID)["PowerState"] == "On", 30, interval=0.2), processes.logs()
    boot = emulator.system(FAKE_UUID)["Boot"]
    assert boot["BootSourceOverrideTarget"] == "Pxe" and boot["BootSourceOverrideEnabled"] != "Disabled", boot

    # the machine PXE boots by the MAC the inventory recorded: what dnsmasq hands it is the PXE plan's boot URL
    # (below the job's boot token); its script and config there, then its signal
    plan = requests.get(
        f"{url}/api/v1/subcontractor/pxe/", params={"site": "lab"}, headers={"Authorization": f"Token {sc_token}"},
        timeout=10,
    )  # fmt: skip
    boot_url = next(host["boot"] for host in plan.json()["static"] if host["mac"] == mac)
    base = url + urlsplit(boot_url).path.removesuffix("script/")
    assert base.startswith(f"{url}/boot/{created.json()['id']}-"), base  # the create job's token
    script = machine.get(f"{base}script/", timeout=10)
    assert script.status_code == 200 and script.text == f"#!ipxe\necho rfweb1 {structure.config_uuid}\n"
    assert machine.get(f"{base}config/", timeout=10).json()["_hostname"] == "rfweb1"
    signal = machine.post(f"{base}signal/", timeout=10)
    assert signal.status_code == 200 and signal.json() == {"job": created.json()["id"], "signalled": True}
    emulator.reset(FAKE_UUID, "ForceOff")  # the installer is done and powers the machine off

    job = _wait_job(api, url, created.json()["id"], processes)
    assert job["state"] == "done", f"{job}\n{processes.logs()}"
    print(f"create job: {time.monotonic() - started:.1f} s")
    body = api.get(f"{url}/api/v1/foundations/rf1/", timeout=10).json()
    assert body["state"] == "built"
    assert machine.get(f"{base}script/", timeout=10).status_code == 404  # the token ended with its job
    assert body["id_map"]["dmi"]["uuid"] == FAKE_UUID and body["id_map"]["redfish_system_id"] == FAKE_UUID
    assert sorted(row["mac"] for row in body["id_map"]["interfaces"]) == sorted(FAKE_MACS)
    assert [row["mac"] for row in body["interfaces"]] == [mac]
    assert "bmc_password" not in body and PASSWORD not in str(body)  # write-only, also in id_map and config
    assert emulator.system(FAKE_UUID)["PowerState"] == "Off"
    calls = [
        f"{task.module}.{task.function}"
        for task in Task.objects.filter(job_id=created.json()["id"], state="applied").order_by("pk")
    ]
    assert calls[:4] == ["redfish.inventory", "redfish.power_off", "redfish.set_boot_device", "redfish.power_on"]
    assert calls[4:] and set(calls[4:]) == {"redfish.power_state"}, calls  # waiting for the installer's power off

    # the installed OS runs; destroy powers it off over Redfish
    emulator.reset(FAKE_UUID, "On")
    assert wait_until(lambda: emulator.system(FAKE_UUID)["PowerState"] == "On", 10, interval=0.2)
    started = time.monotonic()
    destroyed = api.post(f"{url}/api/v1/foundations/rf1/jobs/", json={"script": "destroy"}, timeout=10)
    assert destroyed.status_code == 201, destroyed.text
    job = _wait_job(api, url, destroyed.json()["id"], processes)
    assert job["state"] == "done", f"{job}\n{processes.logs()}"
    print(f"destroy job: {time.monotonic() - started:.1f} s")
    assert api.get(f"{url}/api/v1/foundations/rf1/", timeout=10).json()["state"] == "planned"
    assert emulator.system(FAKE_UUID)["PowerState"] == "Off"
