"""The iputils handler: TCP port checks against listeners on 127.0.0.1 (never another address)."""

import socket
import threading
import time

import pytest
from subcontractor_support import free_port

from subcontractor.handlers import HandlerError
from subcontractor.handlers.iputils import FUNCTIONS


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def full_backlog():
    """A port whose accept queue is full: the kernel drops further SYNs, so a connect times out on loopback."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    held = []
    for _ in range(4):
        client = socket.socket()
        client.settimeout(0.2)
        try:
            client.connect(("127.0.0.1", port))
        except TimeoutError:
            pass
        held.append(client)
    yield port
    for client in held:
        client.close()
    server.close()


def test_port_check_open(listener):
    """A listening port reads as open."""
    assert FUNCTIONS["port_check"]({"address": "127.0.0.1", "port": listener, "timeout": 2}) == {"state": "open"}


def test_port_check_closed():
    """A port nobody listens on reads as closed (the connection is refused)."""
    assert FUNCTIONS["port_check"]({"address": "127.0.0.1", "port": free_port(), "timeout": 2}) == {"state": "closed"}


def test_port_check_timeout(full_backlog):
    """A port that never answers reads as timeout, after about the given timeout."""
    started = time.monotonic()
    result = FUNCTIONS["port_check"]({"address": "127.0.0.1", "port": full_backlog, "timeout": 0.3})
    assert result == {"state": "timeout"}
    assert 0.25 < time.monotonic() - started < 2


def test_wait_for_port_returns_once_the_port_opens():
    """wait_for_port keeps trying until a listener appears, then reports open and how long it waited."""
    port = free_port()
    server = socket.socket()

    def open_later():
        time.sleep(0.4)
        server.bind(("127.0.0.1", port))
        server.listen(8)

    threading.Thread(target=open_later).start()
    try:
        result = FUNCTIONS["wait_for_port"]({"address": "127.0.0.1", "port": port, "timeout": 5, "interval": 0.1})
    finally:
        server.close()
    assert result["state"] == "open"
    assert 0.3 < result["waited"] < 3


def test_wait_for_port_gives_up_with_a_retryable_error():
    """When the port stays closed, wait_for_port fails after its timeout with a message saying so."""
    port = free_port()
    started = time.monotonic()
    with pytest.raises(HandlerError, match=rf"127.0.0.1:{port} still closed after 0.5 s") as caught:
        FUNCTIONS["wait_for_port"]({"address": "127.0.0.1", "port": port, "timeout": 0.5, "interval": 0.1})
    assert caught.value.retryable is True
    assert 0.45 < time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"port": 22}, "'address' is required"),
        ({"address": "127.0.0.1", "port": 70000}, "between 1 and 65535"),
        ({"address": "127.0.0.1", "port": True}, "'port' must be an integer"),
        ({"address": "127.0.0.1", "port": 22, "timeout": 0}, "'timeout' must be positive"),
    ],
)
def test_bad_parameters_are_named(parameters, message):
    """Wrong parameters fail with a handler error naming the parameter."""
    with pytest.raises(HandlerError, match=message):
        FUNCTIONS["port_check"](parameters)
