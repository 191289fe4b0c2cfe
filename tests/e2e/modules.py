"""A test-only `iputils` TScript module: `iputils.wait_for_port( port= )` as a remote task on 127.0.0.1."""

from tscript import Module, Remote


def iputils_module(context) -> Module:
    """`iputils.wait_for_port( port= )` waits (remotely) for 127.0.0.1:<port> and returns the port's state."""
    module = Module("iputils")
    module.add_function(
        "wait_for_port",
        Remote(
            task=lambda port: {"address": "127.0.0.1", "port": port, "timeout": 30, "interval": 0.2},
            function="wait_for_port",
            result=lambda value: value["state"],
        ),
    )
    return module
