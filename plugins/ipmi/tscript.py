"""The IPMI foundation's TScript functions: each is a remote call to the subcontractor's `ipmi` module.

A Remote's task function is named `ipmi.<function>`: the part before the dot is the subcontractor
task module (the tasks are created under the script module, `foundation`), see contractor.subcontracting.services.
"""

from tscript import Remote, result_key

# script function -> (ipmi handler function, key of the result that is the call's value)
POWER = {
    "power_on": ("power_on", "state"),
    "power_off": ("power_off", "state"),
    "power_soft_off": ("soft_off", "state"),
    "power_cycle": ("power_cycle", "state"),
    "power_reset": ("reset", "state"),
    "power_state": ("power_state", "state"),
    "link_test": ("link_test", "ok"),
}


def ipmi_functions(foundation) -> dict:
    """`power_on`, `power_off`, `power_soft_off`, `power_cycle`, `power_reset`, `power_state`, `link_test`
    and `set_boot( device=, persistent=false )` as `ipmi` tasks carrying the BMC's address and credentials."""
    functions = {
        name: Remote(task=lambda: foundation.bmc_parameters(), function=f"ipmi.{handler}", result=result_key(key))
        for name, (handler, key) in POWER.items()
    }
    functions["set_boot"] = Remote(
        task=lambda device, persistent=False: {
            **foundation.bmc_parameters(),
            "device": device,
            "persistent": persistent,
        },
        function="ipmi.set_boot_device",
        result=result_key("device"),
    )
    return functions
