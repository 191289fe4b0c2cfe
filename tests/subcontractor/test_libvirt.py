"""The libvirt task module against the real libvirtd: define, power, boot order, interfaces, destroy, idempotence."""

import hashlib
import json
import threading
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from subcontractor_support import start_subcontractor, wait_for, write_toml
from vmlab import LIBVIRT_URI, all_domains

from subcontractor.handlers import HandlerError, registry
from subcontractor.handlers import libvirt as handler

pytestmark = pytest.mark.slow


@pytest.fixture
def vm(vm_lab):
    """Parameters for one VM on the lab's bridge: its uuid, name and two NICs (the second with a chosen MAC)."""
    return {
        "uri": LIBVIRT_URI,
        "uuid": str(uuid_module.uuid4()),
        "name": f"{vm_lab.namespace}-vm",
        "interfaces": [
            {"name": "eth0", "bridge": vm_lab.bridge},
            {"name": "eth1", "bridge": vm_lab.bridge, "model": "e1000", "mac": "52:54:00:ab:cd:01"},
        ],
    }


def libvirt_domains() -> dict[str, str]:
    """uuid -> XML of the VMs libvirt has that belong to this test run's labs (other runs share the libvirtd)."""
    return {uuid: xml for uuid, xml in all_domains().items() if "<name>vp" in xml}


def domain_tree(uuid: str) -> ET.Element:
    return ET.fromstring(libvirt_domains()[uuid])


def timed(function, parameters, figures: dict):
    started = time.monotonic()
    result = function(parameters)
    figures.setdefault(function.__name__, []).append(round(time.monotonic() - started, 3))
    return result


def test_the_daemon_has_the_module():
    """libvirt is a built-in task module with every function of the contract."""
    assert set(registry()["libvirt"]) == {
        "create",
        "start",
        "shutdown",
        "power_off",
        "reset",
        "power_state",
        "set_boot",
        "destroy",
        "interface_map",
    }


def test_create_defines_the_vm_without_starting_it(vm):
    """create defines a software-emulated VM with the spec's CPUs, memory, NICs in order and boot order; it is off."""
    result = handler.create({**vm, "cpu_count": 2, "memory_mb": 256})
    assert result["created"] is True and result["uuid"] == vm["uuid"] and result["name"] == vm["name"]
    assert result["accelerator"] == "tcg"
    names = [interface["name"] for interface in result["interfaces"]]
    macs = [interface["mac"] for interface in result["interfaces"]]
    assert names == ["eth0", "eth1"] and macs[1] == "52:54:00:ab:cd:01"
    # Without a MAC given, it comes from the UUID and the position: another create of this VM gives the same.
    digest = hashlib.sha256(f"{vm['uuid']}/0".encode()).hexdigest()
    assert macs[0] == "52:54:" + ":".join(digest[i : i + 2] for i in range(0, 8, 2))
    tree = domain_tree(vm["uuid"])
    assert tree.get("type") == "qemu"
    assert tree.findtext("vcpu") == "2" and tree.find("memory").text == str(256 * 1024)
    assert [b.get("dev") for b in tree.findall("os/boot")] == ["network", "hd"]
    nics = tree.findall("devices/interface")
    assert [nic.find("mac").get("address") for nic in nics] == macs
    assert [nic.find("model").get("type") for nic in nics] == ["virtio", "e1000"]
    assert {nic.find("source").get("bridge") for nic in nics} == {vm["interfaces"][0]["bridge"]}
    assert tree.findall("devices/disk") == []
    assert handler.power_state(vm) == {"state": "off"}


def test_create_again_returns_the_same_vm_and_defines_nothing(vm):
    """A redone create (same UUID) finds the VM: created is false, the MACs are the same, no second VM exists."""
    first = handler.create(vm)
    before = libvirt_domains()
    again = handler.create({**vm, "interfaces": [{"name": "eth0", "bridge": vm["interfaces"][0]["bridge"]}]})
    assert again["created"] is False
    assert again["interfaces"] == first["interfaces"]
    assert libvirt_domains() == before


def test_power_functions_drive_the_real_vm(vm):
    """start, reset, power_off and shutdown change what libvirt reports, and are safe to repeat."""
    figures = {}
    timed(handler.create, vm, figures)
    assert timed(handler.start, vm, figures) == {"state": "on"}
    assert handler.start(vm) == {"state": "on"}  # already on: nothing to do
    assert timed(handler.power_state, vm, figures) == {"state": "on"}
    assert timed(handler.reset, vm, figures) == {"state": "on"}
    assert timed(handler.power_off, vm, figures) == {"state": "off"}
    assert handler.power_off(vm) == {"state": "off"}
    assert handler.power_state(vm) == {"state": "off"}
    assert handler.reset(vm) == {"state": "on"}  # a VM that is off is started by reset
    # The firmware ignores the ACPI power button, so the VM stays on: without a wait the request is only sent,
    # with one the task fails (retryable) once the wait is over.
    assert timed(handler.shutdown, vm, figures) == {"state": "on"}
    with pytest.raises(HandlerError, match="still on 1 s after the ACPI shutdown") as raised:
        handler.shutdown({**vm, "wait": 1})
    assert raised.value.retryable
    handler.power_off(vm)
    assert handler.shutdown(vm) == {"state": "off"}
    print(f"libvirt call times (s): {figures}")


def test_set_boot_changes_the_next_boot(vm):
    """set_boot rewrites the boot order of the definition, also while the VM runs."""
    handler.create(vm)
    handler.start(vm)
    assert handler.set_boot({**vm, "boot_order": ["hd", "network"]}) == {"boot_order": ["hd", "network"]}
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    inactive = connection.lookupByUUIDString(vm["uuid"]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    connection.close()
    assert [b.get("dev") for b in ET.fromstring(inactive).findall("os/boot")] == ["hd", "network"]
    assert handler.set_boot({**vm, "boot_order": ["network"]}) == {"boot_order": ["network"]}
    with pytest.raises(HandlerError, match="parameter 'boot_order'"):
        handler.set_boot({**vm, "boot_order": ["floppy"]})


def test_interface_map_names_the_nics_as_create_did(vm):
    """interface_map gives each NIC's name (from create) and MAC, in the VM's order."""
    created = handler.create(vm)
    assert handler.interface_map(vm) == {"interfaces": created["interfaces"]}


def test_destroy_removes_the_vm_and_its_disk(vm, vm_lab):
    """destroy powers off, undefines and deletes the disk; destroying again reports it was already gone."""
    disk_dir = vm_lab.root / "disks"
    disk_dir.mkdir()
    handler.create({**vm, "disk_gb": 1, "disk_dir": str(disk_dir)})
    disk = Path(domain_tree(vm["uuid"]).find("devices/disk/source").get("file"))
    assert disk.parent == disk_dir and disk.exists() and disk.read_bytes()[:4] == b"QFI\xfb"  # a qcow2 image
    handler.start(vm)
    assert handler.destroy(vm) == {"destroyed": True}
    assert vm["uuid"] not in libvirt_domains()
    assert not disk.exists()
    assert handler.destroy(vm) == {"destroyed": False}
    with pytest.raises(HandlerError, match=f"no VM with uuid {vm['uuid']}"):
        handler.power_state(vm)


def test_a_redone_create_reuses_the_disk_it_made(vm, vm_lab):
    """A create that made the disk but died before defining finds that disk again instead of making another."""
    disk_dir = vm_lab.root / "disks"
    disk_dir.mkdir()
    handler.create({**vm, "disk_gb": 1, "disk_dir": str(disk_dir)})
    disk = Path(domain_tree(vm["uuid"]).find("devices/disk/source").get("file"))
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    connection.lookupByUUIDString(vm["uuid"]).undefine()  # the disk stays, as after a crash before define
    connection.close()
    inode = disk.stat().st_ino
    assert handler.create({**vm, "disk_gb": 1, "disk_dir": str(disk_dir)})["created"] is True
    assert disk.stat().st_ino == inode and sorted(p.name for p in disk_dir.iterdir()) == [disk.name]


def test_creates_of_one_vm_at_once_make_one_vm_and_one_disk(vm, vm_lab):
    """Creates racing for the same UUID (a task handed out twice) all succeed with the same VM and one disk."""
    disk_dir = vm_lab.root / "disks"
    disk_dir.mkdir()
    barrier, results, errors = threading.Barrier(4), [], []

    def create():
        barrier.wait()
        try:
            results.append(handler.create({**vm, "disk_gb": 1, "disk_dir": str(disk_dir)}))
        except HandlerError as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 4
    assert len({json.dumps(result["interfaces"]) for result in results}) == 1
    assert [uuid for uuid in libvirt_domains() if uuid == vm["uuid"]] == [vm["uuid"]]
    assert [path.name for path in disk_dir.iterdir()] == [f"{vm['uuid']}.qcow2"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"uuid": "not-a-uuid"}, "parameter 'uuid' is not a UUID"),
        ({"name": "has space"}, "parameter 'name'"),
        ({"cpu_count": 0}, "parameter 'cpu_count' must be at least 1"),
        ({"memory_mb": "512"}, "parameter 'memory_mb' must be an integer"),
        ({"firmware": "coreboot"}, "parameter 'firmware' must be one of bios, uefi"),
        ({"boot_order": ["network", "network"]}, "parameter 'boot_order'"),
        ({"interfaces": []}, "parameter 'interfaces' must list at least one"),
        ({"interfaces": [{"name": "eth0", "bridge": "br0", "mac": "52:54:00"}]}, r"'interfaces\[0\].mac'"),
        ({"interfaces": [{"name": "eth0", "bridge": "br0", "model": "ne2k"}]}, r"'interfaces\[0\].model'"),
        ({"interfaces": [{"name": "eth0"}]}, r"parameter 'interfaces\[0\].bridge' is required"),
        ({"disk_dir": "relative/dir", "disk_gb": 1}, "parameter 'disk_dir' must be an absolute path"),
    ],
)
def test_create_refuses_bad_parameters_naming_them(vm, change, message):
    """A bad parameter is a non-retryable error naming it, and nothing is defined."""
    before = libvirt_domains()
    with pytest.raises(HandlerError, match=message) as raised:
        handler.create({**vm, **change})
    assert not raised.value.retryable
    assert libvirt_domains() == before


def test_a_name_another_vm_holds_is_refused(vm):
    """A second VM (another UUID) with a name already taken is refused with libvirt's reason, not retried."""
    handler.create(vm)
    other = {**vm, "uuid": str(uuid_module.uuid4())}
    with pytest.raises(HandlerError, match=f"libvirt {LIBVIRT_URI}: .*{vm['name']}.* already") as raised:
        handler.create(other)
    assert not raised.value.retryable
    assert other["uuid"] not in libvirt_domains()


def test_destroy_finds_the_disk_after_libvirt_forgot_its_pool(vm, vm_lab):
    """The disk's transient pool is gone (as after a libvirtd restart): destroy still deletes the disk."""
    disk_dir = vm_lab.root / "disks"
    disk_dir.mkdir()
    handler.create({**vm, "disk_gb": 1, "disk_dir": str(disk_dir)})
    disk = Path(domain_tree(vm["uuid"]).find("devices/disk/source").get("file"))
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    for pool in connection.listAllStoragePools():
        if str(disk_dir) in pool.XMLDesc():
            pool.destroy()
    connection.close()
    assert handler.destroy(vm) == {"destroyed": True}
    assert not disk.exists()


def test_uefi_without_firmware_is_refused_up_front(vm):
    """A UEFI VM on a host without UEFI firmware fails at create, naming the parameter (not later at start)."""
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    capabilities = connection.getDomainCapabilities(None, "x86_64", "q35", "qemu")
    connection.close()
    if "<value>efi</value>" in capabilities:
        result = handler.create({**vm, "firmware": "uefi"})
        assert domain_tree(vm["uuid"]).find("os").get("firmware") == "efi" and result["created"]
        return
    with pytest.raises(HandlerError, match="parameter 'firmware' is uefi, but .* no UEFI firmware"):
        handler.create({**vm, "firmware": "uefi"})
    assert vm["uuid"] not in libvirt_domains()


def test_an_unreachable_host_is_a_retryable_error(vm):
    """No libvirtd at the URI: a retryable error naming the URI."""
    with pytest.raises(HandlerError, match=r"libvirt qemu\+tcp://127.0.0.1:1/system: cannot connect") as raised:
        handler.power_state({**vm, "uri": "qemu+tcp://127.0.0.1:1/system"})
    assert raised.value.retryable


def test_the_daemon_runs_libvirt_tasks(vm, contractor, tmp_path):
    """A real subcontractor process leases libvirt.create and power_state and posts their results."""
    config = write_toml(
        tmp_path / "sc.toml",
        f'[contractor]\nurl = "{contractor.url}"\ntoken = "sub-token-for-tests"\nsite = "lab"\npoll_interval = 0.05\n'
        f'[modules]\nlibvirt = 2\n[daemon]\nspool_dir = "{tmp_path / "spool"}"\n',
    )
    create = contractor.add_task("libvirt", "create", vm)
    daemon = start_subcontractor(config, tmp_path / "sc.log")
    try:
        wait_for(lambda: create["id"] in contractor.applied, timeout=60)
        state = contractor.add_task("libvirt", "power_state", {"uri": vm["uri"], "uuid": vm["uuid"]})
        wait_for(lambda: state["id"] in contractor.applied, timeout=60)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert contractor.applied[create["id"]]["result"]["created"] is True
    assert contractor.applied[state["id"]]["result"] == {"state": "off"}
    assert vm["uuid"] in libvirt_domains()
