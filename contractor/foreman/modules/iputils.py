"""The `iputils` module: a script waits for a machine's port (SSH, say) through a subcontractor."""

from tscript import Module, ParameterError, Remote


def iputils_module(context) -> Module:
    """`iputils.port_check( port=, address= )` and `iputils.wait_for_port( port=, address=, timeout= )`.

    Both become `iputils` tasks for a subcontractor of the target's site. `address` defaults to the
    primary address of the job's structure. `port_check` returns "open", "closed" or "timeout";
    `wait_for_port` returns "open", or the job errors when the port stays shut for `timeout` seconds.
    """
    module = Module("iputils")

    def where(port, address):
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ParameterError(f"port must be a number from 1 to 65535, not {port!r}")
        return {"address": address or _primary_address(context), "port": port}

    module.add_function(
        "port_check",
        Remote(task=lambda port, address=None, timeout=5: {**where(port, address), "timeout": timeout},
               function="port_check", result=lambda value: value["state"]),
    )  # fmt: skip
    module.add_function(
        "wait_for_port",
        Remote(task=lambda port, address=None, timeout=300, interval=2: {**where(port, address), "timeout": timeout,
                                                                         "interval": interval},
               function="wait_for_port", result=lambda value: value["state"]),
    )  # fmt: skip
    return module


def _primary_address(context) -> str:
    structure = context.structure
    primary = structure.addresses.filter(is_primary=True).first() if structure is not None else None
    if primary is None:
        raise ParameterError("give address=: the job's target has no structure with a primary address")
    return primary.ip_address
