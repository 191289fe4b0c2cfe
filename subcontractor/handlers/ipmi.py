"""The ``ipmi`` task module: power control and boot device through a BMC's IPMI-over-LAN, via pyghmi."""

from contextlib import contextmanager

from subcontractor.handlers import HandlerError, require

__all__ = ["BOOT_DEVICES", "FUNCTIONS"]

BOOT_DEVICES = {"pxe": "network", "disk": "hd", "cdrom": "cd", "bios": "setup", "default": "default"}
CHASSIS_CONTROL_NETFN = 0x00
CHASSIS_CONTROL_COMMAND = 0x02
POWER_CYCLE = 0x02


@contextmanager
def _session(parameters: dict):
    """Log in to the BMC the parameters name, yield a pyghmi Command, and log out again."""
    from pyghmi.exceptions import IpmiException
    from pyghmi.ipmi.command import Command

    address = require(parameters, "address", str)
    port = require(parameters, "port", int, 623)
    username = require(parameters, "username", str)
    password = require(parameters, "password", str)
    try:
        # pyghmi wants bytes: with str credentials a second session to the same BMC in one process hangs.
        command = Command(bmc=address, port=port, userid=username.encode(), password=password.encode())
    except IpmiException as error:
        raise _login_error(address, port, error) from error
    try:
        yield command
    except IpmiException as error:
        raise HandlerError(f"BMC {address}:{port}: {error}", retryable=True) from error
    finally:
        try:
            command.ipmi_session.logout()
        except Exception:  # noqa: BLE001 - a failed logout must not hide the result
            pass


def _login_error(address: str, port: int, error: Exception) -> HandlerError:
    message = str(error)
    if "password" in message.lower() or "user" in message.lower():
        return HandlerError(f"BMC {address}:{port} refused the login: {message}")
    return HandlerError(f"BMC {address}:{port} unreachable: {message}", retryable=True)


def _set_power(parameters: dict, state: str) -> dict:
    with _session(parameters) as command:
        response = command.set_power(state)
    return {"state": response.get("powerstate") or response.get("pendingpowerstate")}


def power_on(parameters: dict) -> dict:
    """Switch the machine on. Parameters: BMC ones. Result: ``{"state": "on"}``."""
    return _set_power(parameters, "on")


def power_off(parameters: dict) -> dict:
    """Cut the power at once, not waiting for the OS. Parameters: BMC ones. Result: ``{"state": "off"}``."""
    return _set_power(parameters, "off")


def soft_off(parameters: dict) -> dict:
    """Ask the OS to shut down (ACPI soft off). Parameters: BMC ones. Result: ``{"state": "shutdown"}``
    (the request was sent; poll ``power_state`` to see the machine go off)."""
    return _set_power(parameters, "shutdown")


def reset(parameters: dict) -> dict:
    """Hard-reset the machine. Parameters: BMC ones. Result: ``{"state": "reset"}``."""
    return _set_power(parameters, "reset")


def power_cycle(parameters: dict) -> dict:
    """Power the machine off and on again (chassis control "power cycle"). Parameters: BMC ones.
    Result: ``{"state": "cycle"}``; a machine that was off stays off on most BMCs (use ``power_on``)."""
    with _session(parameters) as command:
        response = command.raw_command(netfn=CHASSIS_CONTROL_NETFN, command=CHASSIS_CONTROL_COMMAND, data=[POWER_CYCLE])
    if response.get("error"):
        raise HandlerError(f"BMC refused the power cycle: {response['error']}")
    return {"state": "cycle"}


def power_state(parameters: dict) -> dict:
    """Read the power state. Parameters: BMC ones. Result: ``{"state": "on" | "off"}``."""
    with _session(parameters) as command:
        return {"state": command.get_power()["powerstate"]}


def set_boot_device(parameters: dict) -> dict:
    """Choose what the machine boots from next.

    Parameters: BMC ones plus ``device`` (one of "pxe", "disk", "cdrom", "bios", "default") and
    ``persistent`` (bool, default false: only the next boot).
    Result: ``{"device": <device>, "persistent": <bool>}``.
    """
    device = require(parameters, "device", str)
    if device not in BOOT_DEVICES:
        raise HandlerError(f"parameter 'device' must be one of {', '.join(BOOT_DEVICES)}, got '{device}'")
    persistent = require(parameters, "persistent", bool, False)
    with _session(parameters) as command:
        command.set_bootdev(BOOT_DEVICES[device], persist=persistent)
    return {"device": device, "persistent": persistent}


def link_test(parameters: dict) -> dict:
    """Check that the BMC answers and accepts the credentials.

    Parameters: BMC ones. Result: ``{"ok": true, "state": "on" | "off"}``; an error when the BMC is
    unreachable (retryable) or refuses the login (not retryable).
    """
    with _session(parameters) as command:
        return {"ok": True, "state": command.get_power()["powerstate"]}


FUNCTIONS = {
    "power_on": power_on,
    "power_off": power_off,
    "soft_off": soft_off,
    "power_cycle": power_cycle,
    "reset": reset,
    "power_state": power_state,
    "set_boot_device": set_boot_device,
    "link_test": link_test,
}
