"""The Redfish foundation's TScript functions: each is a remote call to the subcontractor's `redfish` module.

A Remote's task function is named `redfish.<function>`: the part before the dot is the subcontractor task
module; the parameter and result schemas are those of subcontractor/handlers/redfish.py (docs/subcontractor.md).
"""

from django.core.exceptions import ValidationError

from plugins.redfish import services
from tscript import ParameterError, Remote, ScriptError, result_key

# script function -> (redfish handler function, key of the result that is the call's value)
POWER = {
    "power_on": ("power_on", "state"),
    "power_off": ("power_off", "state"),
    "power_soft_off": ("soft_off", "state"),
    "power_cycle": ("power_cycle", "state"),
    "power_reset": ("reset", "state"),
    "power_state": ("power_state", "state"),
    "link_test": ("link_test", "ok"),
}
BOOT_DEVICES = ("pxe", "disk", "cdrom", "bios", "usb")


def redfish_functions(foundation) -> dict:
    """`power_on`, `power_off`, `power_soft_off`, `power_cycle`, `power_reset`, `power_state`, `link_test`,
    `set_boot( device=, persistent=false )`, `inventory()` (the BMC's facts) and `record_inventory()` (the same,
    merged into the foundation's id_map) as `redfish` tasks carrying the BMC's URL and credentials."""
    functions = {
        name: Remote(task=lambda: foundation.bmc_parameters(), function=f"redfish.{handler}", result=result_key(key))
        for name, (handler, key) in POWER.items()
    }

    def set_boot(device="pxe", persistent=False):
        if device not in BOOT_DEVICES:
            raise ParameterError(f"device must be one of {', '.join(BOOT_DEVICES)}, not {device!r}")
        if not isinstance(persistent, bool):
            raise ParameterError(f"persistent must be true or false, not {persistent!r}")
        return {**foundation.bmc_parameters(), "device": device, "persistent": persistent}

    def record(facts):
        try:
            services.redfish_inventory_record(foundation=foundation, facts=facts)
        except ValidationError as error:
            # resumable: the operator checks the BMC (or clears the id_map) and resets the job
            raise ScriptError("; ".join(error.messages)) from None
        return facts

    functions["set_boot"] = Remote(task=set_boot, function="redfish.set_boot_device", result=result_key("device"))
    functions["inventory"] = Remote(task=lambda: foundation.bmc_parameters(), function="redfish.inventory")
    functions["record_inventory"] = Remote(
        task=lambda: foundation.bmc_parameters(), function="redfish.inventory", result=record
    )
    return functions
