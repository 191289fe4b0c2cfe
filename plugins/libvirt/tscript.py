"""The libvirt foundation's TScript functions: each is a remote call to the subcontractor's `libvirt` module.

Every task carries the host's libvirt `uri` and the VM's `uuid`; `create` places the VM first (the least loaded
host of its complex) and records what libvirt answered. The parameter and result schemas are those of
subcontractor/handlers/libvirt.py (docs/subcontractor.md).
"""

from django.core.exceptions import ValidationError

from plugins.libvirt import services
from plugins.libvirt.selectors import host_uri
from plugins.libvirt.spec import DEVICE_ORDERS, boot_order, provisioning_pxe, vm_spec
from tscript import ParameterError, Remote, ScriptError, result_key

# script function -> libvirt handler function; each answers {state: "on" | "off"}
POWER = {
    "power_on": "start",
    "power_off": "power_off",
    "power_soft_off": "shutdown",
    "power_reset": "reset",
    "power_state": "power_state",
}


def _script_error(error: ValidationError) -> ScriptError:
    # A ScriptError is resumable: the operator fixes the complex (adds a host, say) and resets the job.
    return ScriptError("; ".join(error.messages))


def _target(foundation) -> dict:
    """uri and uuid of a VM that was placed; calls before create() are refused."""
    foundation.refresh_from_db(fields=["host"])
    if foundation.host_id is None:
        raise ScriptError(f"{foundation} is on no host yet: call foundation.create() first")
    return {"uri": host_uri(foundation.host), "uuid": str(foundation.libvirt_uuid)}


def _create_task(foundation) -> dict:
    spec = vm_spec(foundation)
    try:
        host = services.libvirt_vm_place(foundation=foundation)
    except ValidationError as error:
        raise _script_error(error) from None
    return {"uri": host_uri(host), "uuid": str(foundation.libvirt_uuid), **spec}


def _boot_order(device, boot_order_):
    if boot_order_ is not None:
        return boot_order(boot_order_)
    if device not in DEVICE_ORDERS:
        raise ParameterError(f"device must be one of {', '.join(DEVICE_ORDERS)}, not {device!r}")
    return DEVICE_ORDERS[device]


def libvirt_functions(foundation) -> dict:
    """`create`, `destroy`, `power_on`, `power_off`, `power_soft_off`, `power_reset`, `power_state`,
    `set_boot( device=, boot_order= )` and `interface_map` as `libvirt` tasks on the VM's host."""

    def record(result):
        spec, pxe = vm_spec(foundation), provisioning_pxe(foundation)  # as the create asked: nothing changed since
        try:
            services.libvirt_vm_record(foundation=foundation, spec=spec, result=result, pxe=pxe)
        except ValidationError as error:
            raise _script_error(error) from None
        return result.get("uuid")

    def forget(result):
        services.libvirt_vm_forget(foundation=foundation)
        return bool(result.get("destroyed")) if isinstance(result, dict) else bool(result)

    functions = {
        name: Remote(task=lambda: _target(foundation), function=f"libvirt.{handler}", result=result_key("state"))
        for name, handler in POWER.items()
    }
    functions["create"] = Remote(task=lambda: _create_task(foundation), function="libvirt.create", result=record)
    functions["destroy"] = Remote(task=lambda: _target(foundation), function="libvirt.destroy", result=forget)

    def set_boot(device="pxe", boot_order=None):
        return {**_target(foundation), "boot_order": _boot_order(device, boot_order)}

    functions["set_boot"] = Remote(task=set_boot, function="libvirt.set_boot", result=result_key("boot_order"))
    functions["interface_map"] = Remote(
        task=lambda: _target(foundation), function="libvirt.interface_map", result=result_key("interfaces")
    )
    return functions
