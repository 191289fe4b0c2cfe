"""The ``iputils`` task module: TCP port checks, used to see that a machine came up."""

import errno
import socket
import time

from subcontractor.handlers import HandlerError, require

__all__ = ["FUNCTIONS", "port_check", "wait_for_port"]


def _probe(address: str, port: int, timeout: float) -> str:
    """Try one TCP connect: "open" when it is accepted, "closed" when refused, "timeout" when nothing answers."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return "open"
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "closed"
    except OSError as error:
        if error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "timeout"
        raise HandlerError(f"cannot check {address}:{port}: {error}") from error


def _target(parameters: dict) -> tuple[str, int, float]:
    address = require(parameters, "address", str)
    port = require(parameters, "port", int)
    if not 0 < port < 65536:
        raise HandlerError(f"parameter 'port' must be between 1 and 65535, got {port}")
    timeout = float(require(parameters, "timeout", (int, float), 5))
    if timeout <= 0:
        raise HandlerError("parameter 'timeout' must be positive")
    return address, port, timeout


def port_check(parameters: dict) -> dict:
    """Check one TCP port once.

    Parameters: ``address`` (str), ``port`` (int), ``timeout`` (seconds, default 5).
    Result: ``{"state": "open" | "closed" | "timeout"}``.
    """
    address, port, timeout = _target(parameters)
    return {"state": _probe(address, port, timeout)}


def wait_for_port(parameters: dict) -> dict:
    """Wait until a TCP port accepts connections.

    Parameters: ``address`` (str), ``port`` (int), ``timeout`` (total seconds to wait, default 300),
    ``interval`` (seconds between attempts, default 5).
    Result: ``{"state": "open", "waited": <seconds, float>}``; a HandlerError (retryable) when the port
    is still not open after ``timeout`` seconds.
    """
    address, port, timeout = _target({"timeout": 300, **parameters})
    interval = float(require(parameters, "interval", (int, float), 5))
    if interval <= 0:
        raise HandlerError("parameter 'interval' must be positive")
    started = time.monotonic()
    deadline = started + timeout
    while True:
        remaining = deadline - time.monotonic()
        state = _probe(address, port, max(0.05, min(interval, remaining)))
        if state == "open":
            return {"state": "open", "waited": round(time.monotonic() - started, 3)}
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HandlerError(f"{address}:{port} still {state} after {timeout:g} s", retryable=True)
        time.sleep(min(interval, remaining))


FUNCTIONS = {"port_check": port_check, "wait_for_port": wait_for_port}
