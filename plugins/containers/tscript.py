"""The container foundation's TScript functions: remote calls to the subcontractor's `containers` module.

Every task carries the host's `engine` address and the container's `name` (the foundation's locator); `create`
places the container first (the least loaded host of its complex, and a free host port per published port)
and records what the engine answered. The parameter and result schemas are those of
subcontractor/handlers/containers.py (docs/subcontractor.md).
"""

from django.core.exceptions import ValidationError

from contractor.configuration import merged_config
from plugins.containers import services
from plugins.containers.selectors import host_config, host_engine, host_publish_address, published_ports
from plugins.containers.spec import container_ports, container_spec
from tscript import ParameterError, Remote, ScriptError, result_key

# script function -> containers handler function; each answers {state: "on" | "off" | ...}
POWER = {"power_on": "start", "power_state": "power_state"}  # power_off: containers.stop with its timeout


def _script_error(error: ValidationError) -> ScriptError:
    # Resumable: the operator fixes the complex (adds a host, widens the port range) and resets the job.
    return ScriptError("; ".join(error.messages))


def _target(foundation) -> dict:
    """engine and name of a container that was placed; calls before create() are refused."""
    foundation.refresh_from_db(fields=["host"])
    if foundation.host_id is None:
        raise ScriptError(f"{foundation} is on no host yet: call foundation.create() first")
    return {"engine": host_engine(foundation.host), "name": foundation.container_name}


def _stopping(foundation) -> dict:
    """engine, name and `timeout`: the seconds between SIGTERM and SIGKILL (`container_stop_timeout`, 10)."""
    timeout = merged_config(foundation, reveal_secrets=False).get("container_stop_timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise ParameterError(f"config value container_stop_timeout must be whole seconds, not {timeout!r}")
    return {**_target(foundation), "timeout": timeout}


def _create_task(foundation) -> dict:
    spec = container_spec(foundation)
    ports = container_ports(merged_config(foundation, reveal_secrets=False))
    try:
        host = services.container_place(foundation=foundation, ports=ports)
    except ValidationError as error:
        raise _script_error(error) from None
    address = str(host_config(host).get("container_publish_address") or "")
    published = [
        {"container_port": port.container_port, "protocol": port.protocol, "host_port": port.host_port,
         **({"host_ip": address} if address else {})}
        for port in published_ports(foundation)
    ]  # fmt: skip
    labels = {"contractor.foundation": foundation.locator, "contractor.site": foundation.site.name}
    return {"engine": host_engine(host), "name": foundation.container_name, "token": str(foundation.token),
            "labels": labels, "ports": published, **spec}  # fmt: skip


def _wait_port_task(foundation, port, timeout=120, interval=1, protocol="tcp"):
    """iputils.wait_for_port on the host port published for the container's `port`, at the host's address."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise ParameterError(f"port must be a container port number, not {port!r}")
    _target(foundation)
    found = [p for p in published_ports(foundation) if p.container_port == port and p.protocol == protocol]
    if not found:
        raise ParameterError(f"container port {port}/{protocol} is not published (config value container_ports)")
    address = host_publish_address(foundation.host) or "127.0.0.1"
    return {"address": address, "port": found[0].host_port, "timeout": timeout, "interval": interval}


def container_functions(foundation) -> dict:
    """`create`, `destroy`, `power_on`, `power_off`, `power_state` as `containers` tasks on the container's host,
    and `wait_port( port=, timeout= )`: an `iputils` wait for the host port published for a container port."""

    def record(result):
        try:
            services.container_record(foundation=foundation, result=result)
        except ValidationError as error:
            raise _script_error(error) from None
        return result.get("id")

    def forget(result):
        services.container_forget(foundation=foundation)
        return bool(result.get("destroyed")) if isinstance(result, dict) else bool(result)

    functions = {
        name: Remote(task=lambda: _target(foundation), function=f"containers.{handler}", result=result_key("state"))
        for name, handler in POWER.items()
    }
    functions["power_off"] = Remote(task=lambda: _stopping(foundation), function="containers.stop",
                                    result=result_key("state"))  # fmt: skip
    functions["create"] = Remote(task=lambda: _create_task(foundation), function="containers.create", result=record)
    functions["destroy"] = Remote(task=lambda: _stopping(foundation), function="containers.destroy", result=forget)
    functions["wait_port"] = Remote(
        task=lambda port, timeout=120, interval=1, protocol="tcp": _wait_port_task(
            foundation, port, timeout, interval, protocol
        ),
        function="iputils.wait_for_port",
        result=result_key("state"),
    )
    return functions
