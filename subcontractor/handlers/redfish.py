"""The ``redfish`` task module: power, one-time boot and inventory through a BMC's Redfish service, via sushy.

Every function takes the BMC parameters ``url`` (the service's base URL, ``https://10.0.0.5``; the
``/redfish/v1`` root is found below it), ``username``, ``password``, ``verify`` (true, false, or the path of
a CA bundle; default true) and ``system_id`` (the ComputerSystem's ``Id``; may be left out when the BMC has
exactly one system, as most servers do).

Requests use HTTP basic authentication, so no Redfish session is left open on a BMC that has only a few
session slots. Power requests are idempotent: asking for the state the system is already in sends nothing,
so a task that is run again after a lost result does no harm.
"""

from contextlib import contextmanager

from subcontractor.handlers import HandlerError, require

__all__ = ["BOOT_TARGETS", "FUNCTIONS"]

# Contractor's device names -> Redfish BootSourceOverrideTarget values.
BOOT_TARGETS = {"pxe": "Pxe", "disk": "Hdd", "cdrom": "Cd", "bios": "BiosSetup", "usb": "Usb"}
# Redfish PowerState values -> Contractor's words (as the ipmi module reports them).
POWER_STATES = {
    "On": "on",
    "Off": "off",
    "PoweringOn": "powering on",
    "PoweringOff": "powering off",
    "Paused": "paused",
}
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# sushy retries a 5xx itself; a task should fail soon and be retried by the foreman instead.
SERVER_SIDE_RETRIES = 2


@contextmanager
def _system(parameters: dict):
    """Connect to the BMC the parameters name and yield the sushy System; BMC failures become HandlerErrors."""
    import sushy
    from sushy import exceptions

    url = require(parameters, "url", str).rstrip("/")
    username = require(parameters, "username", str)
    password = require(parameters, "password", str)
    verify = require(parameters, "verify", (bool, str), True)
    system_id = require(parameters, "system_id", str, "")
    if not url.startswith(("http://", "https://")):
        raise HandlerError(f"parameter 'url' must start with http:// or https://, got '{url}'")
    where = url
    try:
        connection = sushy.Sushy(
            url,
            verify=verify,
            auth=sushy.auth.BasicAuth(username=username, password=password),
            server_side_retries=SERVER_SIDE_RETRIES,
            server_side_retries_delay=1,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
        system = connection.get_system(_system_path(connection, system_id))
        where = f"{url} system {system.identity}"
        yield system
    except exceptions.AccessError as error:
        raise HandlerError(f"BMC {where} refused the credentials or the request: {_reason(error)}") from error
    except exceptions.ResourceNotFoundError as error:
        raise HandlerError(f"BMC {where}: not found: {_reason(error)}") from error
    except exceptions.ServerSideError as error:
        raise HandlerError(f"BMC {where} failed: {_reason(error)}", retryable=True) from error
    except exceptions.ConnectionError as error:
        raise _connection_error(where, error) from error
    except exceptions.SushyError as error:
        raise HandlerError(f"BMC {where}: {_reason(error)}") from error


def _system_path(connection, system_id: str) -> str:
    """The path of the system to drive: the one named, or the only one the BMC has."""
    paths = list(connection.get_system_collection().members_identities)
    ids = [path.rstrip("/").rsplit("/", 1)[-1] for path in paths]  # a path ends in the system's Id
    names = ", ".join(ids) or "none"
    if system_id:
        if system_id in ids:
            return paths[ids.index(system_id)]
        raise HandlerError(f"BMC has no system '{system_id}' (it has: {names})")
    if len(paths) != 1:
        raise HandlerError(f"BMC has {len(paths)} systems ({names}): set parameter 'system_id'")
    return paths[0]


def _reason(error: Exception) -> str:
    """sushy's message without its request dump: the BMC's own words where it gave any."""
    message = getattr(error, "detail", None) or str(error)
    return " ".join(str(message).split())


def _connection_error(where: str, error: Exception) -> HandlerError:
    """A certificate problem will not go away by retrying; a BMC that does not answer may."""
    message = _reason(error)
    if "CERTIFICATE_VERIFY_FAILED" in message or "certificate verify failed" in message:
        return HandlerError(
            f"BMC {where}: its TLS certificate is not trusted (set 'verify' to a CA bundle, or false): {message}"
        )
    return HandlerError(f"BMC {where} unreachable: {message}", retryable=True)


def _state(system) -> str:
    """The power state as Contractor reports it: "on", "off", "powering on", "powering off" or "unknown"."""
    return POWER_STATES.get(system.power_state.value if system.power_state else "", "unknown")


def _reset(system, reset_type) -> None:
    allowed = system.get_allowed_reset_system_values()
    if allowed and reset_type not in allowed:
        names = ", ".join(sorted(value.value for value in allowed))
        raise HandlerError(f"BMC does not offer the reset '{reset_type.value}' (it offers: {names})")
    system.reset_system(reset_type)


def _power(parameters: dict, reset_type, skip_when: str | None, requested: str) -> dict:
    from sushy.resources import constants

    with _system(parameters) as system:
        if skip_when is not None and _state(system) == skip_when:
            return {"state": skip_when, "changed": False}
        _reset(system, constants.ResetType(reset_type))
        return {"state": requested, "changed": True}


def power_on(parameters: dict) -> dict:
    """Switch the system on. Parameters: BMC ones. Result: ``{"state": "on", "changed": <bool>}``
    (false when it was on already; the BMC may take some seconds to report "on": poll ``power_state``)."""
    return _power(parameters, "On", "on", "on")


def power_off(parameters: dict) -> dict:
    """Cut the power at once (ForceOff), not waiting for the OS. Parameters: BMC ones.
    Result: ``{"state": "off", "changed": <bool>}``."""
    return _power(parameters, "ForceOff", "off", "off")


def soft_off(parameters: dict) -> dict:
    """Ask the OS to shut down (GracefulShutdown). Parameters: BMC ones. Result: ``{"state": "shutdown",
    "changed": <bool>}`` (the request was sent; poll ``power_state`` to see the system go off)."""
    return _power(parameters, "GracefulShutdown", "off", "shutdown")


def reset(parameters: dict) -> dict:
    """Hard-restart the system (ForceRestart). Parameters: BMC ones. Result: ``{"state": "reset", "changed": true}``."""
    return _power(parameters, "ForceRestart", None, "reset")


def power_cycle(parameters: dict) -> dict:
    """Power the system off and on again (PowerCycle; ForceRestart where the BMC offers no PowerCycle).
    Parameters: BMC ones. Result: ``{"state": "cycle", "changed": true}``."""
    from sushy.resources import constants

    with _system(parameters) as system:
        allowed = system.get_allowed_reset_system_values()
        cycle = constants.ResetType.POWER_CYCLE
        _reset(system, cycle if not allowed or cycle in allowed else constants.ResetType.FORCE_RESTART)
        return {"state": "cycle", "changed": True}


def power_state(parameters: dict) -> dict:
    """Read the power state. Parameters: BMC ones.
    Result: ``{"state": "on" | "off" | "powering on" | "powering off" | "paused" | "unknown"}``."""
    with _system(parameters) as system:
        return {"state": _state(system)}


def set_boot_device(parameters: dict) -> dict:
    """Choose what the system boots from next (BootSourceOverrideTarget).

    Parameters: BMC ones plus ``device`` (one of "pxe", "disk", "cdrom", "bios", "usb") and ``persistent``
    (bool, default false: only the next boot). Result: ``{"device": <device>, "persistent": <bool>}``.
    """
    from sushy.resources.system import constants

    device = require(parameters, "device", str)
    if device not in BOOT_TARGETS:
        raise HandlerError(f"parameter 'device' must be one of {', '.join(BOOT_TARGETS)}, got '{device}'")
    persistent = require(parameters, "persistent", bool, False)
    enabled = constants.BootSourceOverrideEnabled.CONTINUOUS if persistent else constants.BootSourceOverrideEnabled.ONCE
    with _system(parameters) as system:
        system.set_system_boot_options(target=constants.BootSource(BOOT_TARGETS[device]), enabled=enabled)
    return {"device": device, "persistent": persistent}


def inventory(parameters: dict) -> dict:
    """Read the system's hardware as its BMC reports it, without booting anything.

    Parameters: BMC ones. Result::

        {"system_id": "...", "power_state": "on",
         "dmi": {"vendor": ..., "product": ..., "serial": ..., "uuid": ..., "sku": ...},
         "cpu": {"count": <processors>, "cores": <total cores or null>, "model": <first model or null>},
         "memory_mb": <total or null>,
         "interfaces": [{"name": <Id>, "mac": "aa:bb:..", "speed_mbps": <int or null>}, ...]}

    A value the BMC does not report is null; the interfaces are sorted by name.
    """
    with _system(parameters) as system:
        return {
            "system_id": system.identity,
            "power_state": _state(system),
            "dmi": {
                "vendor": system.manufacturer,
                "product": system.model,
                "serial": system.serial_number,
                "uuid": system.uuid,
                "sku": system.sku,
            },
            "cpu": _processors(system),
            "memory_mb": _memory_mb(system),
            "interfaces": _interfaces(system),
        }


def _processors(system) -> dict:
    from sushy import exceptions

    try:
        processors = [processor for processor in system.processors.get_members()]
    except (exceptions.MissingAttributeError, exceptions.ResourceNotFoundError):
        return {"count": None, "cores": None, "model": None}
    cores = [processor.total_cores for processor in processors if processor.total_cores is not None]
    return {
        "count": len(processors),
        "cores": sum(cores) if cores else None,
        "model": next((processor.model for processor in processors if processor.model), None),
    }


def _memory_mb(system) -> int | None:
    summary = system.memory_summary
    if summary is None or summary.size_gib is None:
        return None
    return int(summary.size_gib) * 1024


def _interfaces(system) -> list[dict]:
    from sushy import exceptions

    try:
        members = system.ethernet_interfaces.get_members()
    except (exceptions.MissingAttributeError, exceptions.ResourceNotFoundError):
        return []
    interfaces = [
        {
            "name": member.identity,
            "mac": (member.mac_address or member.permanent_mac_address or "").lower() or None,
            "speed_mbps": member.speed_mbps,
        }
        for member in members
    ]
    return sorted(interfaces, key=lambda interface: str(interface["name"]))


def link_test(parameters: dict) -> dict:
    """Check that the BMC answers and accepts the credentials.

    Parameters: BMC ones. Result: ``{"ok": true, "state": <power state>}``; an error when the BMC is
    unreachable (retryable), refuses the login or its certificate is not trusted (not retryable).
    """
    with _system(parameters) as system:
        return {"ok": True, "state": _state(system)}


FUNCTIONS = {
    "power_on": power_on,
    "power_off": power_off,
    "soft_off": soft_off,
    "power_cycle": power_cycle,
    "reset": reset,
    "power_state": power_state,
    "set_boot_device": set_boot_device,
    "inventory": inventory,
    "link_test": link_test,
}
