"""Issue 9 end to end: real QEMU VMs built and destroyed by Contractor with the shipped libvirt blueprints.

Contractor (gunicorn), a foreman worker and a subcontractor daemon (modules libvirt and iputils, and the PXE
sync, inside the lab's namespace) run for real; libvirtd defines the VMs, which PXE-boot through the lab's
dnsmasq and iPXE into the installer image, fetch their config, signal, and answer on their SSH port.
"""

import os
import signal
from pathlib import Path

import pytest
from vmlab import installer_image, libvirt_daemon, vm_accelerator, vm_lab  # noqa: F401 - pytest fixtures

from contractor.subcontracting.models import Task
from plugins.libvirt.models import LibvirtFoundation
from tests.e2e.vm_rig import ResultGate, VmRig, boot_files_with, libvirt_domains, libvirt_running, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def boot_files(installer_image, tmp_path_factory):  # noqa: F811 - the imported fixture
    """A boot-files folder holding the installer scripts/build-installer made for this session."""
    return boot_files_with(installer_image, tmp_path_factory.mktemp("boot-files"))


@pytest.fixture
def rig(processes, vm_lab, boot_files, vm_accelerator, tmp_path):  # noqa: F811 - imported fixtures
    """Contractor, one foreman worker and the subcontractor around the lab, with the VM host built; the VMs use
    KVM where it really boots the installer, else software emulation (tcg), and the run says which."""
    running = VmRig(vm_lab, processes, tmp_path, boot_files, accelerator=vm_accelerator)
    running.plan_lab()
    running.start_contractor()
    running.start_foreman()
    running.daemon = running.start_subcontractor()
    running.plan_host()
    running.build_host()
    yield running
    print(running.logs())


def _built(rig, locator: str):
    vm = rig.vms[locator]
    foundation = rig.get(f"foundations/{locator}/")
    structure = rig.get(f"structures/{vm['structure']}/")
    return foundation, structure


def _check_booted(rig, locator: str):
    """Built over the API, defined in libvirt with the UUID Contractor chose, booted through the lab, installed;
    then powered off by its installer (installer_finish poweroff), or up with its SSH port answering (listen)."""
    foundation, structure = _built(rig, locator)
    assert (foundation["state"], structure["state"]) == ("built", "built"), (foundation, structure)
    vm = LibvirtFoundation.objects.get(locator=locator)
    assert libvirt_domains().get(locator) == str(vm.libvirt_uuid)
    assert foundation["host"] == rig.host["hostname"] and foundation["id_map"]["accelerator"] == rig.accelerator
    (interface,) = foundation["interfaces"]
    assert interface["is_provisioning"] and interface["mac"] == foundation["id_map"]["interfaces"][0]["mac"]
    address = rig.vms[locator]["address"]
    serial = rig.lab.serial(locator)
    assert serial.find(rf"installer: dhcp {address}/"), serial.text()[-3000:]
    assert serial.find(r"installer: config ok") and serial.find(r"installer: signal ok")
    if rig.vms[locator]["finish"] == "listen":
        assert rig.lab.port_open(address, 22) == "open"  # from inside the namespace, as the subcontractor saw it
        assert rig.lab.read_banner(address, 22) == f"SSH-2.0-ContractorInstaller vm{locator[-1]}"
    else:
        # linux-vm was built once the VM was off: it powered itself off after its signal was heard
        assert serial.find(r"installer: done, powering off") and not libvirt_running(locator)
    print(f"{locator}: accelerator {foundation['id_map']['accelerator']}")


def test_a_vm_is_built_and_destroyed(rig):
    """A VM and its linux-vm structure: both create jobs done, the VM really booted and installed, then powered
    itself off; destroy removes it from libvirt and the foundation is planned again with its host released."""
    vm = rig.plan_vm(1)
    locator = vm["locator"]
    states = rig.wait_jobs(rig.create_jobs(locator))
    assert [s["state"] for s in states.values()] == ["done", "done"], f"{states}\n{rig.logs()}\n{rig.lab.report()}"
    _check_booted(rig, locator)
    uuid = libvirt_domains()[locator]

    rig.destroy(locator)
    assert locator not in libvirt_domains() and uuid not in libvirt_domains().values()
    foundation, structure = _built(rig, locator)
    assert (foundation["state"], structure["state"], foundation["host"]) == ("planned", "planned", None)
    assert foundation["interfaces"][0]["mac"] == ""  # libvirt's MAC went with the VM
    assert rig.get(f"libvirt-complexes/{rig.prefix}/")["vm_count"] == 1


def test_a_uefi_vm_is_built_and_destroyed(rig):
    """The shipped libvirt-vm-uefi blueprint: the VM boots OVMF (secure boot off), whose NIC's iPXE EFI ROM asks
    DHCP as an x86-64 UEFI client and chains the same boot script; it has its own NVRAM variable store, which
    its destroy removes."""
    import xml.etree.ElementTree as ET

    from vmlab import all_domains

    locator = rig.plan_vm(1, blueprint="libvirt-vm-uefi")["locator"]
    states = rig.wait_jobs(rig.create_jobs(locator))
    assert [s["state"] for s in states.values()] == ["done", "done"], f"{states}\n{rig.logs()}\n{rig.lab.report()}"
    _check_booted(rig, locator)
    uuid = libvirt_domains()[locator]
    domain = ET.fromstring(all_domains()[uuid])
    assert domain.find("os").get("firmware") == "efi"
    assert domain.find("os/firmware/feature[@name='secure-boot']").get("enabled") == "no"
    # libvirt picks the firmware at each start, so only a running VM's definition names its NVRAM; this one is
    # off (its installer powered it off), and its variable store stays where libvirt made it
    nvram = Path("/var/lib/libvirt/qemu/nvram") / f"{locator}_VARS.fd"
    assert nvram.is_file()
    mac = rig.get(f"foundations/{locator}/")["interfaces"][0]["mac"]
    assert "vendor class: PXEClient:Arch:00007:" in rig.lab.dnsmasq_log() and mac in rig.lab.dnsmasq_log()
    assert rig.lab.serial(locator).find(r"Features: .*EFI"), rig.lab.serial(locator).text()[-3000:]

    rig.destroy(locator)
    assert locator not in libvirt_domains() and not nvram.exists()


def test_two_vms_built_at_once_on_one_host(rig):
    """Two VMs' create jobs at once: both placed on the one host, both boot to their own addresses, and (their
    installers staying up: installer_finish listen) answer on their SSH ports there."""
    locators = [rig.plan_vm(index, finish="listen")["locator"] for index in (1, 2)]
    jobs = [job for locator in locators for job in rig.create_jobs(locator)]
    states = rig.wait_jobs(jobs)
    assert [s["state"] for s in states.values()] == ["done"] * 4, f"{states}\n{rig.logs()}\n{rig.lab.report()}"
    for locator in locators:
        _check_booted(rig, locator)
    macs = {rig.get(f"foundations/{locator}/")["interfaces"][0]["mac"] for locator in locators}
    assert len(macs) == 2
    counts = rig.get("fleet-questions/counts/")["hosted"]
    assert {"host": rig.host["hostname"], "complex": rig.prefix, "foundations": 2} in counts["hosts"]


def test_a_subcontractor_killed_mid_create_defines_no_second_vm(rig, tmp_path):
    """The daemon defines the VM but is killed before Contractor hears of it: the task is leased again, the new
    daemon's create finds the VM by its UUID (created false), and the build finishes with one VM."""
    os.kill(rig.daemon.pid, signal.SIGTERM)
    rig.daemon.wait(timeout=30)
    gate = ResultGate(rig.lab.host_address, rig.url)
    try:
        gate.holding.set()
        daemon = rig.start_subcontractor("gated", url=gate.url)
        vm = rig.plan_vm(1)
        locator = vm["locator"]
        jobs = rig.create_jobs(locator)
        uuid = str(LibvirtFoundation.objects.get(locator=locator).libvirt_uuid)
        assert wait_for(lambda: libvirt_domains().get(locator) == uuid, 120), rig.logs()
        assert wait_for(lambda: gate.held, 30), rig.logs()  # it did the work and is posting the result
        os.kill(daemon.pid, signal.SIGKILL)  # ip netns exec runs the daemon in its place (exec)
        daemon.wait(timeout=10)
        gate.holding.clear()
        first = Task.objects.get(job_id=jobs[0], function="create")
        assert first.state == "leased" and first.result is None
        rig.start_subcontractor("after")
        states = rig.wait_jobs(jobs)
    finally:
        gate.stop()
    assert [s["state"] for s in states.values()] == ["done", "done"], f"{states}\n{rig.logs()}"
    create = Task.objects.get(job_id=jobs[0], function="create")
    assert create.attempts >= 2 and create.result["created"] is False, (create.attempts, create.result)
    assert list(libvirt_domains()).count(locator) == 1 and libvirt_domains()[locator] == uuid
    assert [name for name in libvirt_domains() if name.startswith(rig.prefix)] == [locator]
    _check_booted(rig, locator)
