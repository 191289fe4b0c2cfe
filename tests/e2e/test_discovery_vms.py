"""Issue 12 end to end: three real QEMU VMs PXE-boot from a dynamic pool into the discovery image and report.

Contractor (gunicorn) and a subcontractor daemon (its PXE sync keeping the lab's dnsmasq serving the site's
dynamic pool) run for real; the test defines the VMs in libvirt itself (no foundation made them) and boots all
three at once: dnsmasq hands each an address from the pool, iPXE chains to /boot/script/?mac=, which answers
the discovery image for an unknown MAC; the image reads the VM's hardware from its running kernel and posts it.
- vm-a has no foundation: recorded as a new discovered machine with the CPUs, memory, disk and MAC it was made with;
- vm-b is a libvirt foundation whose create job calls foundation.discover(): Contractor defines it through the
  subcontractor, powers it on, and its report (matched by its MAC) locates it; the job goes on and builds it;
- vm-c's MAC is a planned foundation's, whose blueprint wants more memory: refused with that reason.

The VMs boot once for the module (one fixture), and each test checks what its VM did. (Matching by DMI serial is
tested without VMs, in tests/contractor/discovery.)
"""

import time
import xml.etree.ElementTree as ET

import pytest
from vmlab import Lab, installer_image, libvirt_daemon, vm_accelerator  # noqa: F401 - pytest fixtures

from tests.e2e.conftest import Processes
from tests.e2e.vm_rig import VmRig, boot_files_with, libvirt_running, wait_for

# The module's fixture writes through the test database before the first test (pytest-django sets one up only
# for tests that ask); the tests read what it kept, and the first one's teardown empties the database again.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: Software emulation on two shared cores, three VMs at once: the reports came 49-64 s after their start (240 busy).
DISCOVERY_SECONDS = 420
POOL = range(100, 200)  # the dynamic pool's offsets in the lab's /24
#: vm-b: what its blueprint asks libvirt for (one CPU, 224 MiB, no disk), through Contractor.
VM_B = {"cpus": 1, "memory_mb": 224}
#: name -> what the test tells libvirt to make (memory in MiB, one disk of disk_mb MiB with that serial, DMI serial).
VMS = {
    "a": {"cpus": 2, "memory_mb": 256, "disk_mb": 64, "mac": "52:54:00:d1:5c:0a", "serial": "DSC-A"},
    "c": {"cpus": 1, "memory_mb": 192, "disk_mb": 32, "mac": "52:54:00:d1:5c:0c", "serial": "DSC-C"},
}
BIG_MEMORY_MB = 2048


def _domain_xml(name: str, vm: dict, bridge: str, disk: str, serial_log: str, accelerator: str) -> str:
    return f"""<domain type='{"kvm" if accelerator == "kvm" else "qemu"}'>
  <name>{name}</name>
  <memory unit='MiB'>{vm["memory_mb"]}</memory>
  <vcpu>{vm["cpus"]}</vcpu>
  <sysinfo type='smbios'><system><entry name='manufacturer'>Contractor Lab</entry>
    <entry name='serial'>{vm["serial"]}</entry></system></sysinfo>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='network'/><smbios mode='sysinfo'/></os>
  <features><acpi/><apic/></features>
  <cpu mode='{"host-passthrough" if accelerator == "kvm" else "maximum"}'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk}'/>
      <target dev='vda' bus='virtio'/><serial>disk-{name}</serial></disk>
    <interface type='bridge'><source bridge='{bridge}'/><mac address='{vm["mac"]}'/><model type='virtio'/></interface>
    <serial type='file'><source path='{serial_log}' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>"""


DISCOVER_CREATE = """
begin( description="Find the VM by discovery" )
  foundation.create()
  foundation.set_boot( device="pxe" )
  facts = foundation.discover()
  message( msg=foundation.locator . " reported " . facts[ "memory_mb" ] . " MB" )
end
"""


def _plan(rig: VmRig) -> None:
    """A dynamic pool of a hundred addresses (dnsmasq under no-ping may offer two VMs booting at once one address,
    and the one refused it gives up: a pool of ten did that once in CI); vm-b's libvirt foundation (its create
    job discovers it); vm-c's manual foundation known by its MAC, whose blueprint wants more memory."""
    from contractor.utilities.models import AddressBlock
    from contractor.utilities.services import address_allocate

    block = AddressBlock.objects.get(name="lab-vms")
    for offset in POOL:
        address_allocate(address_block=block, kind="dynamic", offset=offset)
    rig.post("foundation-blueprints/", {
        "name": "disc-vm", "parents": ["libvirt-vm"], "foundation_types": ["libvirt"],
        "config_values": {"cpu_count": VM_B["cpus"], "memory_mb": VM_B["memory_mb"], "disk_gb": 0},
        "hardware_requirements": {"memory_mb_min": 128, "cpu_count_min": 1}, "scripts": {"create": DISCOVER_CREATE},
    })  # fmt: skip
    rig.post("foundation-blueprints/", {"name": "disc-big", "foundation_types": ["manual"],
                                        "hardware_requirements": {"memory_mb_min": BIG_MEMORY_MB}})  # fmt: skip
    rig.post("foundations/", {"type": "libvirt", "locator": f"{rig.prefix}-b", "site": "lab", "blueprint": "disc-vm",
                              "complex": rig.prefix})  # fmt: skip
    rig.post("foundations/", {"type": "manual", "locator": f"{rig.prefix}-c", "site": "lab", "blueprint": "disc-big"})
    rig.post("interfaces/", {"foundation": f"{rig.prefix}-c", "name": "eth0", "mac": VMS["c"]["mac"],
                             "is_provisioning": True})  # fmt: skip


def _boot(rig: VmRig, lab: Lab, accelerator: str) -> dict[str, str]:
    """Define and start the three VMs at once; name -> the domain XML libvirt holds."""
    import subprocess

    import libvirt

    connection = libvirt.open("qemu:///system")
    defined = {}
    try:
        for key, vm in VMS.items():
            name = f"{rig.prefix}-{key}"
            disk = lab.root / f"{name}.qcow2"
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), f"{vm['disk_mb']}M"], check=True)
            xml = _domain_xml(name, vm, lab.bridge, str(disk), lab.serial_log(name), accelerator)
            defined[name] = connection.defineXML(xml)
        for domain in defined.values():
            domain.create()
        return {name: domain.XMLDesc() for name, domain in defined.items()}
    finally:
        connection.close()


@pytest.fixture(scope="module")
def discovered(libvirt_daemon, installer_image, vm_accelerator, django_db_setup, django_db_blocker, tmp_path_factory):  # noqa: F811
    """The three VMs booted once: what the API, libvirt and their consoles said, and how long it took."""
    tmp = tmp_path_factory.mktemp("discovery-vms")
    boot_files = boot_files_with(installer_image, tmp / "boot-files")
    with django_db_blocker.unblock():
        processes = Processes(tmp)
        lab = Lab(tmp / "lab")
        try:
            lab.start()
            rig = VmRig(lab, processes, tmp, boot_files, accelerator=vm_accelerator)
            rig.plan_lab()
            # No kernel messages on the consoles: under software emulation each line printed costs the boot time.
            # no_timer_check, as the default: on a busy host an emulated kernel's timer check can fail and panic.
            processes.env["CONTRACTOR_DISCOVERY_KERNEL_ARGS"] = "console=ttyS0 quiet no_timer_check"
            rig.start_contractor()
            rig.start_foreman()
            rig.start_subcontractor()
            rig.plan_host()
            rig.build_host()
            _plan(rig)
            assert wait_for(lambda: "dhcp-range" in (lab.pxe_dir / "subcontractor.conf").read_text(), 60), rig.logs()
            assert wait_for(lab.dnsmasq_running, 30), rig.logs()
            started = time.monotonic()
            job = rig.job(f"foundations/{rig.prefix}-b", "create")
            from vmlab import SerialLog

            lab.serials[f"{rig.prefix}-b"] = SerialLog(lab.root / f"{rig.prefix}-b.log")  # libvirt_serial_dir
            xml = _boot(rig, lab, vm_accelerator)

            def reported():
                machines = rig.get("discovered/?limit=10")["results"]
                states = {m["mac"]: m["state"] for m in machines}
                wanted = {VMS["a"]["mac"]: "new", VMS["c"]["mac"]: "refused"}
                b = [m for m in machines if m["foundation"] == f"{rig.prefix}-b" and m["state"] == "matched"]
                return machines if {m: states.get(m) for m in wanted} == wanted and b else None

            machines = wait_for(reported, DISCOVERY_SECONDS, 0.5)
            reports_at = time.monotonic() - started
            for key, state in (("a", "new -> wait"), ("b", "matched -> reboot"), ("c", "refused -> wait")):
                if machines is not None:  # the answer to the report, on its console a moment after the API had it
                    lab.serial(f"{rig.prefix}-{key}").wait_for(f"discovery: {state}", 30)
            job_state = rig.wait_jobs([job], 120)[job]
            # it rebooted into discovery again (no build script for it): known now, it is told to power off
            b_off = wait_for(lambda: not libvirt_running(f"{rig.prefix}-b"), DISCOVERY_SECONDS, 0.5)
            seen = {
                "machines": {m["mac"]: m for m in (machines or rig.get("discovered/?limit=10")["results"])},
                "foundations": {key: rig.get(f"foundations/{rig.prefix}-{key}/") for key in ("b", "c")},
                "job": job_state,
                "xml": xml,
                "serial": {key: lab.serial(f"{rig.prefix}-{key}").text() for key in ("a", "b", "c")},
                "b_off": bool(b_off),
                "seconds": reports_at,
                "logs": rig.logs() + "\n" + lab.report(),
                "host_address": lab.host_address,
                "network": lab.network,
            }
            print(f"\ndiscovery: three VMs ({vm_accelerator}) reported within {reports_at:.1f} s of their start")
            assert machines is not None, f"not all three reported as expected: {seen['machines']}\n{seen['logs']}"
        except BaseException:
            # No test runs, so no test's teardown empties what the fixture wrote: the next module would find it.
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
            raise
        finally:
            problems = lab.close()
            processes.stop_all()
        assert not problems, f"lab clean-up failed: {problems}"
    yield seen


def _libvirt_said(xml: str) -> dict:
    domain = ET.fromstring(xml)
    return {
        "cpus": int(domain.findtext("vcpu")),
        "memory_mib": int(domain.find("memory").text) // 1024,  # libvirt answers KiB
        "mac": domain.find("devices/interface/mac").get("address"),
        "disk": domain.find("devices/disk/serial").text,
    }


def test_an_unknown_vm_is_recorded_with_its_real_hardware(discovered):
    """vm-a, of no foundation: a new discovered machine, told to wait, with the CPU count, memory (the kernel's
    MemTotal: a little under what libvirt gave it), disk (size and serial) and MAC libvirt was told to create,
    its address from the dynamic pool and the site of that pool's block."""
    vm = VMS["a"]
    machine = discovered["machines"][vm["mac"]]
    said = _libvirt_said(next(x for name, x in discovered["xml"].items() if name.endswith("-a")))
    assert (machine["state"], machine["action"], machine["foundation"], machine["site"]) == ("new", "wait", None, "lab")
    facts = machine["facts"]
    assert facts["cpu_count"] == said["cpus"] == vm["cpus"]
    assert said["memory_mib"] == vm["memory_mb"] and 0.6 * vm["memory_mb"] < facts["memory_mb"] <= vm["memory_mb"]
    (disk,) = facts["disks"]
    assert (disk["name"], disk["size_bytes"], disk["serial"]) == ("vda", vm["disk_mb"] << 20, said["disk"])
    assert [(i["mac"]) for i in facts["interfaces"]] == [said["mac"]] == [vm["mac"]]
    assert facts["dmi"]["serial"] == vm["serial"] and facts["dmi"]["vendor"] == "Contractor Lab"
    assert any(d["vendor"] == "1af4" for d in facts["pci_devices"])  # the virtio NIC and disk
    assert int(machine["address"].rsplit(".", 1)[1]) in POOL  # from the dynamic pool
    assert "discovery: new -> wait" in discovered["serial"]["a"]


def test_a_create_job_discovers_its_vm_and_goes_on(discovered):
    """vm-b's create job: libvirt.create through the subcontractor, set_boot, then foundation.discover() powered it
    on; it booted the discovery image, its report (matched by the MAC libvirt gave it) located the foundation with
    the facts as its id_map, and the job went on to build it; the VM was told to reboot, booted discovery again,
    and, known now, powered off."""
    foundation = discovered["foundations"]["b"]
    (interface,) = foundation["interfaces"]
    machine = discovered["machines"][interface["mac"]]
    job = discovered["job"]
    assert job["state"] == "done", job
    assert (machine["state"], machine["matched_by"], machine["foundation"]) == ("matched", "mac", foundation["locator"])
    assert foundation["state"] == "built"
    id_map = foundation["id_map"]
    assert id_map["cpu_count"] == VM_B["cpus"] and 0.6 * VM_B["memory_mb"] < id_map["memory_mb"] <= VM_B["memory_mb"]
    assert [i["mac"] for i in id_map["interfaces"][-1:]] == [interface["mac"]] and not id_map.get("disks")
    serial = discovered["serial"]["b"]
    assert "discovery: matched -> reboot" in serial and "discovery: matched -> poweroff" in serial
    assert discovered["b_off"]


def test_a_vm_with_too_little_memory_is_refused_naming_the_requirement(discovered):
    """vm-c's MAC is its foundation's, whose blueprint wants 2048 MB: refused, the message naming the memory found
    and the minimum; the foundation stays planned and the VM is told to wait."""
    machine = discovered["machines"][VMS["c"]["mac"]]
    found = machine["facts"]["memory_mb"]
    assert (machine["state"], machine["matched_by"], machine["action"]) == ("refused", "mac", "wait")
    assert f"memory_mb {found} is below the minimum {BIG_MEMORY_MB}" in machine["message"], machine["message"]
    assert discovered["foundations"]["c"]["state"] == "planned" and discovered["foundations"]["c"]["id_map"] == {}
    assert "discovery: refused -> wait" in discovered["serial"]["c"]
