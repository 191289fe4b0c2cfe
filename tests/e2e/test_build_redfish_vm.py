"""Issue 12 end to end: a real VM built and destroyed through Redfish, not through libvirt calls.

sushy-tools' emulator with its libvirt driver is the VM's BMC (its system id is the libvirt domain's UUID), on
the lab's host address. Contractor (gunicorn), a foreman worker and a subcontractor daemon with only the
`redfish` module (inside the lab's namespace, with the PXE sync that feeds the lab's dnsmasq) run the shipped
`redfish-server` blueprint: the BMC's inventory gives the foundation the VM's real MAC, the one-time PXE
override and power on boot the VM, which PXE-boots the installer image, signals and powers itself off; destroy
powers it off. libvirt's own view of the domain is checked at each step.
"""

import time
import uuid as uuid_module
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from vmlab import LIBVIRT_URI, installer_image, libvirt_daemon, vm_accelerator, vm_lab  # noqa: F401 - fixtures

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.site.models import Site
from contractor.subcontracting.services import subcontractor_register
from contractor.utilities.models import AddressBlock, RealNetworkInterface
from tests.e2e.conftest import ROOT
from tests.e2e.vm_rig import VmRig, boot_files_with, libvirt_running, wait_for
from tests.subcontractor.redfish_support import PASSWORD, USERNAME, RedfishEmulator

pytestmark = pytest.mark.slow

#: Software emulation on two shared cores: the installer signalled 15-45 s after power on; this only catches a hang.
BUILD_SECONDS = 300


@pytest.fixture(scope="session")
def redfish_boot_files(installer_image, tmp_path_factory):  # noqa: F811 - the imported fixture
    return boot_files_with(installer_image, tmp_path_factory.mktemp("redfish-boot-files"))


def _domain(uuid: str):
    """libvirt's own description of the domain: (running, boot devices of <os>, NICs with a boot order)."""
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    try:
        domain = connection.lookupByUUIDString(uuid)
        tree = ET.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        nics = tree.findall("devices/interface")
        return (
            bool(domain.isActive()),
            [boot.get("dev") for boot in tree.findall("os/boot")],
            [nic.find("mac").get("address") for nic in nics if nic.find("boot") is not None],
        )
    finally:
        connection.close()


def test_a_vm_is_built_and_destroyed_through_redfish(processes, vm_lab, redfish_boot_files, vm_accelerator, tmp_path):  # noqa: F811
    from plugins.redfish.models import RedfishFoundation
    from subcontractor.handlers import libvirt

    rig = VmRig(vm_lab, processes, tmp_path, redfish_boot_files, accelerator=vm_accelerator)
    rig.plan_lab()  # the site, the lab's address block, the installer's PXE, an API user
    call_command("load_blueprints", str(ROOT / "plugins/redfish/blueprints.toml"), verbosity=0)
    _, rig.subcontractor_token = subcontractor_register(name=f"{rig.prefix}-rf", sites=["lab"], modules=["redfish"])

    # the machine in the rack: a VM that boots from its (empty) disk unless its BMC says otherwise
    name = f"{rig.prefix}-rf1"
    vm = {"uri": LIBVIRT_URI, "uuid": str(uuid_module.uuid4()), "name": name, "cpu_count": 1, "memory_mb": 1024,
          "interfaces": [{"name": "eth0", "bridge": vm_lab.bridge}], "boot_order": ["hd"],
          "accelerator": vm_accelerator, "serial_log": str(vm_lab.serial_log(name))}  # fmt: skip
    mac = libvirt.FUNCTIONS["create"](vm)["interfaces"][0]["mac"]
    serial = vm_lab.serial(name)
    assert _domain(vm["uuid"]) == (False, ["hd"], [])
    bmc = RedfishEmulator(
        tmp_path / "bmc", host=vm_lab.host_address, power_lag=None,
        # only this VM: the libvirtd is shared with other test runs
        config={"SUSHY_EMULATOR_LIBVIRT_URI": LIBVIRT_URI, "SUSHY_EMULATOR_ALLOWED_INSTANCES": [vm["uuid"]]},
    )  # fmt: skip
    try:
        site = Site.objects.get(name="lab")
        foundation = RedfishFoundation.objects.create(
            locator="rfvm1", site=site, blueprint=FoundationBluePrint.objects.get(name="redfish-server"),
            bmc_url=bmc.url, bmc_username=USERNAME, bmc_password=PASSWORD, system_id=vm["uuid"],
        )  # fmt: skip
        RealNetworkInterface.objects.create(
            foundation=foundation, name="eth0", mac="", is_provisioning=True,
            pxe=PXE.objects.get(name="contractor-installer"),
        )  # fmt: skip
        rig.start_contractor()
        rig.start_foreman()
        rig.start_subcontractor(modules="redfish = 2")
        structure = rig.post("structures/", {"hostname": "rfvm1", "site": "lab", "blueprint": "redfish-linux",
                                             "foundation": "rfvm1"})  # fmt: skip
        assert StructureBluePrint.objects.filter(name="redfish-linux").exists()
        block = AddressBlock.objects.get(name="lab-vms")
        address = rig.post(f"address-blocks/{block.pk}/allocate/", {
            "kind": "static", "structure": structure["id"], "interface_name": "eth0", "is_primary": True,
            "address": vm_lab.address(21)})["address"]  # fmt: skip
        rig.post("foundations/rfvm1/located/", {})

        started = time.monotonic()
        job = rig.job("foundations/rfvm1", "create")
        # powered on by Redfish, booting from the network by the override (libvirt's own definition says so)
        assert wait_for(lambda: _domain(vm["uuid"])[0], 60), f"{rig.logs()}\n{vm_lab.report()}"
        powered_on = time.monotonic() - started
        running, os_boot, boot_nics = _domain(vm["uuid"])
        assert (os_boot, boot_nics) == ([], [mac]), (os_boot, boot_nics)
        states = rig.wait_jobs([job], BUILD_SECONDS)
        built = time.monotonic() - started
        create_started = started
        assert [s["state"] for s in states.values()] == ["done"], f"{states}\n{rig.logs()}\n{vm_lab.report()}"
        body = rig.get("foundations/rfvm1/")
        assert body["state"] == "built"
        # the BMC's inventory: the VM's real vCPUs, memory, MAC and UUID, and the MAC it booted by
        assert body["id_map"]["dmi"]["uuid"] == vm["uuid"] and body["id_map"]["redfish_system_id"] == vm["uuid"]
        assert (body["id_map"]["cpu_count"], body["id_map"]["memory_mb"]) == (1, 1024)
        assert [row["mac"] for row in body["id_map"]["interfaces"]] == [mac]
        assert [row["mac"] for row in body["interfaces"]] == [mac]
        # it really booted the installer through the lab's dnsmasq, signalled, and powered itself off
        assert serial.find(rf"installer: dhcp {address}/"), serial.text()[-3000:]
        signalled = serial.find(r"installer: signal ok")
        assert signalled and serial.find(r"installer: done, powering off")
        assert mac in vm_lab.dnsmasq_log()
        assert not libvirt_running(name)

        # the operator powers it on through the BMC; destroy powers it off over Redfish
        assert bmc.system(vm["uuid"])["PowerState"] == "Off"  # plain requests to the emulator, not the handler's
        bmc.reset(vm["uuid"], "On")
        assert wait_for(lambda: libvirt_running(name), 30)
        started = time.monotonic()
        states = rig.wait_jobs([rig.job("foundations/rfvm1", "destroy")], 120)
        destroyed = time.monotonic() - started
        assert [s["state"] for s in states.values()] == ["done"], f"{states}\n{rig.logs()}"
        assert rig.get("foundations/rfvm1/")["state"] == "planned"
        assert not libvirt_running(name) and bmc.system(vm["uuid"])["PowerState"] == "Off"
        print(
            f"accelerator {vm_accelerator}: powered on {powered_on:.1f} s, installer signalled "
            f"{signalled[0] - create_started:.1f} s, built {built:.1f} s after the create job; "
            f"destroyed in {destroyed:.1f} s"
        )
    finally:
        bmc.stop()
        libvirt.FUNCTIONS["destroy"](vm)
