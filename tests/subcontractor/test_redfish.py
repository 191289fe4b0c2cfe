"""The redfish handler against a real Redfish service: sushy-tools' emulator on 127.0.0.1, over HTTP(S).

The fake driver keeps its systems in the emulator's state directory; the tests read what the emulator
recorded through its own Redfish API with plain requests (not through sushy, which the handler uses). With
the libvirt driver the emulator drives a real libvirt VM, and the tests check libvirt's own view of it.
"""

import json
import uuid as uuid_module

import pytest
from redfish_support import FAKE_MACS, FAKE_UUID, POWER_LANDS_WITHIN, RedfishEmulator, fake_systems
from subcontractor_support import free_port, wait_for

from subcontractor.handlers import HandlerError, registry
from subcontractor.handlers.redfish import FUNCTIONS


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory):
    """One emulator for the module's single-system tests (starting one takes about 0.4 s)."""
    bmc = RedfishEmulator(
        tmp_path_factory.mktemp("redfish"),
        config={"SUSHY_EMULATOR_FAKE_DRIVER": True, "SUSHY_EMULATOR_FAKE_SYSTEMS": fake_systems(FAKE_UUID)},
    )
    yield bmc
    bmc.stop()


@pytest.fixture
def emulator(shared_emulator):
    """The shared emulator with its system off, as a test that powered it on may have left it."""
    shared_emulator.power_off(FAKE_UUID)
    return shared_emulator


def power_is(bmc: RedfishEmulator, identity: str, state: str) -> bool:
    return bmc.system(identity)["PowerState"] == state


def test_the_daemon_has_the_module():
    """redfish is a built-in task module with power, boot, inventory and link-test functions."""
    assert set(registry()["redfish"]) == {
        "power_on",
        "power_off",
        "soft_off",
        "power_cycle",
        "reset",
        "power_state",
        "set_boot_device",
        "inventory",
        "link_test",
    }


def test_power_on_then_off_reaches_the_system(emulator):
    """power_on and power_off are sent to the only system; the emulator records each change."""
    assert FUNCTIONS["power_state"](emulator.parameters()) == {"state": "off"}
    assert FUNCTIONS["power_on"](emulator.parameters()) == {"state": "on", "changed": True}
    assert wait_for(lambda: power_is(emulator, FAKE_UUID, "On"), timeout=POWER_LANDS_WITHIN, interval=0.2)
    assert FUNCTIONS["power_state"](emulator.parameters()) == {"state": "on"}
    assert FUNCTIONS["power_off"](emulator.parameters()) == {"state": "off", "changed": True}
    assert wait_for(lambda: power_is(emulator, FAKE_UUID, "Off"), timeout=POWER_LANDS_WITHIN, interval=0.2)


def test_power_on_of_a_system_that_is_on_sends_nothing(emulator):
    """A power_on run again (a lost result, a retried task) finds the system on and changes nothing."""
    FUNCTIONS["power_on"](emulator.parameters())
    wait_for(lambda: power_is(emulator, FAKE_UUID, "On"), timeout=POWER_LANDS_WITHIN, interval=0.2)
    assert FUNCTIONS["power_on"](emulator.parameters()) == {"state": "on", "changed": False}
    assert FUNCTIONS["soft_off"](emulator.parameters()) == {"state": "shutdown", "changed": True}
    assert wait_for(lambda: power_is(emulator, FAKE_UUID, "Off"), timeout=POWER_LANDS_WITHIN, interval=0.2)
    assert FUNCTIONS["power_off"](emulator.parameters()) == {"state": "off", "changed": False}


def test_boot_override_to_pxe_once_then_disk_for_good(emulator):
    """set_boot_device writes BootSourceOverrideTarget (and Enabled) on the system."""
    assert FUNCTIONS["set_boot_device"](emulator.parameters(device="pxe")) == {"device": "pxe", "persistent": False}
    assert emulator.system(FAKE_UUID)["Boot"]["BootSourceOverrideTarget"] == "Pxe"
    result = FUNCTIONS["set_boot_device"](emulator.parameters(device="disk", persistent=True))
    assert result == {"device": "disk", "persistent": True}
    boot = emulator.system(FAKE_UUID)["Boot"]
    assert (boot["BootSourceOverrideTarget"], boot["BootSourceOverrideEnabled"]) == ("Hdd", "Continuous")


def test_an_unknown_boot_device_names_the_choices(emulator):
    with pytest.raises(HandlerError, match="parameter 'device' must be one of pxe, disk, cdrom, bios, usb, got 'net'"):
        FUNCTIONS["set_boot_device"](emulator.parameters(device="net"))


def test_inventory_reads_the_nics_the_bmc_reports(emulator):
    """The fake driver reports NICs but no processors or memory: those are null, not made up."""
    facts = FUNCTIONS["inventory"](emulator.parameters())
    assert facts["system_id"] == FAKE_UUID
    assert facts["dmi"]["uuid"] == FAKE_UUID
    assert sorted(interface["mac"] for interface in facts["interfaces"]) == sorted(FAKE_MACS)
    assert facts["power_state"] == "off"
    assert facts["memory_mb"] is None
    json.dumps(facts)  # a task result travels as JSON


def test_link_test_and_a_wrong_password(emulator):
    assert FUNCTIONS["link_test"](emulator.parameters()) == {"ok": True, "state": "off"}
    with pytest.raises(HandlerError, match=r"refused the credentials") as caught:
        FUNCTIONS["link_test"](emulator.parameters(password="wrong"))
    assert not caught.value.retryable


def test_a_bmc_that_does_not_answer_is_retryable():
    with pytest.raises(HandlerError, match="unreachable") as caught:
        FUNCTIONS["power_state"]({"url": f"http://127.0.0.1:{free_port()}", "username": "a", "password": "b"})
    assert caught.value.retryable


def test_parameters_are_checked_before_anything_is_sent():
    with pytest.raises(HandlerError, match="parameter 'url' is required"):
        FUNCTIONS["power_on"]({"username": "a", "password": "b"})
    with pytest.raises(HandlerError, match="parameter 'url' must start with http:// or https://"):
        FUNCTIONS["power_on"]({"url": "10.0.0.5", "username": "a", "password": "b"})
    with pytest.raises(HandlerError, match="parameter 'verify' must be a boolean or a string"):
        FUNCTIONS["power_on"]({"url": "https://10.0.0.5", "username": "a", "password": "b", "verify": 1})


def test_several_systems_need_a_system_id(tmp_path):
    """A BMC (a chassis manager) with several systems: the handler refuses to guess and names them."""
    other = str(uuid_module.uuid4())
    bmc = RedfishEmulator(
        tmp_path / "multi",
        config={"SUSHY_EMULATOR_FAKE_DRIVER": True, "SUSHY_EMULATOR_FAKE_SYSTEMS": fake_systems(FAKE_UUID, other)},
    )
    try:
        with pytest.raises(HandlerError, match=r"BMC has 2 systems .*: set parameter 'system_id'"):
            FUNCTIONS["power_state"](bmc.parameters())
        assert FUNCTIONS["power_on"](bmc.parameters(system_id=other)) == {"state": "on", "changed": True}
        assert wait_for(lambda: power_is(bmc, other, "On"), timeout=POWER_LANDS_WITHIN, interval=0.2)
        assert bmc.system(FAKE_UUID)["PowerState"] == "Off"
        with pytest.raises(HandlerError, match="BMC has no system 'nope'"):
            FUNCTIONS["power_state"](bmc.parameters(system_id="nope"))
    finally:
        bmc.stop()


def test_tls_is_verified_against_a_ca_bundle(tmp_path):
    """An untrusted certificate is a clear, non-retryable error; naming its CA (or verify=false) works."""
    bmc = RedfishEmulator(
        tmp_path / "tls",
        config={"SUSHY_EMULATOR_FAKE_DRIVER": True, "SUSHY_EMULATOR_FAKE_SYSTEMS": fake_systems(FAKE_UUID)},
        tls=True,
    )
    try:
        with pytest.raises(HandlerError, match="TLS certificate is not trusted") as caught:
            FUNCTIONS["link_test"](bmc.parameters())
        assert not caught.value.retryable
        assert FUNCTIONS["link_test"](bmc.parameters(verify=str(bmc.certificate))) == {"ok": True, "state": "off"}
        assert FUNCTIONS["link_test"](bmc.parameters(verify=False))["ok"] is True
    finally:
        bmc.stop()


@pytest.mark.slow
def test_redfish_powers_a_real_libvirt_vm(tmp_path, vm_lab):
    """With sushy-tools' libvirt driver, Redfish drives a real VM: power on starts it in libvirt, the inventory
    reads its real vCPUs, memory and MAC, and power off stops it."""
    from subcontractor.handlers import libvirt

    uri = "qemu:///system"
    vm = {
        "uri": uri,
        "uuid": str(uuid_module.uuid4()),
        "name": f"{vm_lab.namespace}-redfish",
        "cpu_count": 2,
        "memory_mb": 1024,  # Redfish reports whole GiB through sushy
        "interfaces": [{"name": "eth0", "bridge": vm_lab.bridge}],
    }
    created = libvirt.FUNCTIONS["create"](vm)
    bmc = RedfishEmulator(
        tmp_path / "libvirt-bmc",
        # Only this test's VM: the libvirtd is shared with other test runs.
        config={"SUSHY_EMULATOR_LIBVIRT_URI": uri, "SUSHY_EMULATOR_ALLOWED_INSTANCES": [vm["uuid"]]},
    )
    try:
        parameters = bmc.parameters(system_id=vm["uuid"])
        assert FUNCTIONS["power_state"](parameters) == {"state": "off"}
        assert FUNCTIONS["set_boot_device"](parameters | {"device": "pxe"})["device"] == "pxe"
        assert FUNCTIONS["power_on"](parameters)["changed"] is True
        assert wait_for(lambda: libvirt.FUNCTIONS["power_state"](vm)["state"] == "on", timeout=30, interval=0.2)
        facts = FUNCTIONS["inventory"](parameters)
        assert (facts["cpu"]["count"], facts["memory_mb"], facts["dmi"]["uuid"]) == (2, 1024, vm["uuid"])
        assert facts["power_state"] == "on"
        assert [interface["mac"] for interface in facts["interfaces"]] == [created["interfaces"][0]["mac"]]
        assert FUNCTIONS["power_off"](parameters)["changed"] is True
        assert wait_for(lambda: libvirt.FUNCTIONS["power_state"](vm)["state"] == "off", timeout=30, interval=0.2)
    finally:
        bmc.stop()
        libvirt.FUNCTIONS["destroy"](vm)
