"""The ipmi handler against a real BMC: OpenIPMI's ipmi_sim on 127.0.0.1, checked through its state files."""

import socket

import pytest
from subcontractor_support import free_port, wait_for

from subcontractor.handlers import HandlerError
from subcontractor.handlers.ipmi import FUNCTIONS


def test_power_on_and_off_switch_the_chassis(bmc):
    """power_on and power_off reach the BMC and change the chassis power the simulator records."""
    assert FUNCTIONS["power_on"](bmc.parameters()) == {"state": "on"}
    assert bmc.read("power") == "1"
    assert FUNCTIONS["power_state"](bmc.parameters()) == {"state": "on"}
    assert FUNCTIONS["power_off"](bmc.parameters()) == {"state": "off"}
    assert bmc.read("power") == "0"
    assert FUNCTIONS["power_state"](bmc.parameters()) == {"state": "off"}


def test_soft_off_asks_for_an_os_shutdown(bmc):
    """soft_off sends the ACPI soft-off request (not a hard power cut), which the chassis script records."""
    FUNCTIONS["power_on"](bmc.parameters())
    assert FUNCTIONS["soft_off"](bmc.parameters()) == {"state": "shutdown"}
    assert bmc.read("shutdown") == "1"
    assert FUNCTIONS["power_state"](bmc.parameters()) == {"state": "off"}


def test_reset_and_power_cycle_reach_the_chassis(bmc):
    """reset sends a hard reset; power_cycle turns the power off and the BMC then turns it back on."""
    FUNCTIONS["power_on"](bmc.parameters())
    assert FUNCTIONS["reset"](bmc.parameters()) == {"state": "reset"}
    assert bmc.read("reset") == "1"
    seen = len(bmc.log_lines())
    assert FUNCTIONS["power_cycle"](bmc.parameters()) == {"state": "cycle"}
    wait_for(lambda: "set power 1" in bmc.log_lines()[seen:])
    after = bmc.log_lines()[seen:]
    assert after.index("set power 0") < after.index("set power 1")
    assert bmc.read("power") == "1"


def test_set_boot_device_pxe_then_disk(bmc):
    """set_boot_device tells the BMC to boot from the network, then from disk (the simulator's 'default')."""
    assert FUNCTIONS["set_boot_device"](bmc.parameters(device="pxe")) == {"device": "pxe", "persistent": False}
    assert bmc.read("boot") == "pxe"
    result = FUNCTIONS["set_boot_device"](bmc.parameters(device="disk", persistent=True))
    assert result == {"device": "disk", "persistent": True}
    assert bmc.read("boot") == "default"


def test_link_test_logs_in_and_reads_the_power(bmc):
    """link_test succeeds against a BMC that accepts the credentials and changes nothing."""
    assert FUNCTIONS["link_test"](bmc.parameters()) == {"ok": True, "state": "off"}
    assert bmc.read("power") == "0"


def test_wrong_password_is_a_clear_non_retryable_error(bmc):
    """A refused login is reported as a handler error naming the BMC, not retryable."""
    with pytest.raises(HandlerError, match=r"refused the login.*password") as caught:
        FUNCTIONS["power_on"](bmc.parameters(password="wrong"))
    assert caught.value.retryable is False
    assert bmc.read("power") == "0"


def test_bad_parameters_are_named():
    """Missing credentials or an unknown boot device fail before any network traffic, naming the parameter."""
    with pytest.raises(HandlerError, match="'password' is required"):
        FUNCTIONS["power_on"]({"address": "127.0.0.1", "username": "admin"})
    with pytest.raises(HandlerError, match="'device' must be one of"):
        FUNCTIONS["set_boot_device"]({"address": "127.0.0.1", "username": "a", "password": "b", "device": "usb"})
    with pytest.raises(HandlerError, match="'port' must be an integer"):
        FUNCTIONS["power_state"]({"address": "127.0.0.1", "port": "623", "username": "a", "password": "b"})


@pytest.mark.slow
def test_no_bmc_at_the_address_is_a_retryable_error():
    """With nothing answering on the port the call fails (after pyghmi's own timeout) as retryable."""
    with pytest.raises(HandlerError, match="unreachable") as caught:
        FUNCTIONS["link_test"](
            {"address": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM), "username": "a", "password": "b"}
        )
    assert caught.value.retryable is True
