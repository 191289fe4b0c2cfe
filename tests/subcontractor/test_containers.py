"""The containers handler against real engines, each in turn: a dockerd of the test's own (vfs storage, no
iptables, no default bridge, its own socket and data root) and Podman's Docker-compatible service, with an
image imported from a busybox root filesystem the test builds (there is no registry here). The tests check the
engine's own state with a docker client of their own, and reach the containers' services over HTTP: on a
published loopback port and on the container's own address on a bridge network the test makes.
"""

import shutil
import tempfile
import threading
import uuid as uuid_module
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from container_engines import IMAGE, bridge_network, rootfs_tarball, start_engine
from subcontractor_support import free_port, wait_for

from subcontractor.handlers import HandlerError, registry
from subcontractor.handlers.containers import FUNCTIONS, TOKEN_LABEL


@pytest.fixture(scope="module", params=["docker", "podman"])
def dockerd(request):
    """Each engine in turn: the module runs once against Docker and once against Podman's compatible API."""
    root = Path(tempfile.mkdtemp(prefix="ctr-", dir="/tmp"))
    engine = start_engine(request.param, root)
    yield engine
    engine.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def tarball(dockerd) -> Path:
    return rootfs_tarball(dockerd.root / "rootfs.tar")


@pytest.fixture(scope="module")
def network(dockerd):
    """A bridge network of the test's own on a free private /24 (no iptables: the host reaches the containers
    on their addresses)."""
    name = bridge_network(dockerd)
    yield name
    client = dockerd.client()
    for container in client.containers.list(all=True):
        container.remove(force=True)
    client.networks.get(name).remove()
    client.close()


@pytest.fixture
def container(dockerd, tarball, network, request):
    """The parameters of one web-serving container of this test's own (removed afterwards)."""
    name = f"web-{uuid_module.uuid4().hex[:8]}"
    parameters = {
        "engine": dockerd.engine,
        "name": name,
        "token": f"{request.node.name[:30]}-{name}",
        "image": IMAGE,
        "import_from": str(tarball),
        "command": ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
        "network": network,
        "ports": [{"container_port": 8080, "host_port": free_port(), "host_ip": "127.0.0.1"}],
        "environment": {"ROLE": "web"},
        "labels": {"site": "lab"},
    }
    yield parameters
    client = dockerd.client()
    for found in client.containers.list(all=True, filters={"name": name}):
        found.remove(force=True)
    client.close()


def engine_container(dockerd, name: str):
    """The container as the engine itself reports it (the test's own client), or None."""
    client = dockerd.client()
    try:
        found = [container for container in client.containers.list(all=True) if container.name == name]
        return found[0] if found else None
    finally:
        client.close()


def test_the_daemon_has_the_module():
    assert set(registry()["containers"]) == {
        "create",
        "describe",
        "start",
        "stop",
        "power_state",
        "destroy",
        "link_test",
    }


def test_create_imports_the_image_and_runs_the_service(dockerd, container):
    """create imports the root filesystem, creates and starts the container with its config, and the service
    answers on the published loopback port and on the container's own address."""
    result = FUNCTIONS["create"](container)
    assert (result["created"], result["state"], result["engine_state"]) == (True, "on", "running")
    found = engine_container(dockerd, container["name"])
    assert found.id == result["id"] and found.status == "running"
    assert found.labels == {"site": "lab", TOKEN_LABEL: container["token"]}
    assert "ROLE=web" in found.attrs["Config"]["Env"]
    [port] = result["ports"]
    assert port == {"container_port": 8080, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": port["host_port"]}
    assert port["host_port"] == container["ports"][0]["host_port"]
    [network] = result["networks"]
    assert network["network"] == container["network"] and network["address"] and network["mac"]
    page = wait_for(lambda: _get(f"http://127.0.0.1:{port['host_port']}/index.html"), timeout=20, interval=0.2)
    assert page == "hello from a container\n"
    assert _get(f"http://{network['address']}:8080/index.html") == "hello from a container\n"


def _get(url: str) -> str | None:
    try:
        return requests.get(url, timeout=2).text
    except requests.RequestException:
        return None


def test_a_create_run_again_finds_its_container_and_starts_it(dockerd, container):
    first = FUNCTIONS["create"](container)
    engine_container(dockerd, container["name"]).stop(timeout=1)
    again = FUNCTIONS["create"](container)
    assert (again["id"], again["created"], again["state"]) == (first["id"], False, "on")
    client = dockerd.client()
    assert len(client.containers.list(all=True, filters={"name": container["name"]})) == 1
    client.close()


def test_a_name_taken_by_someone_else_is_refused(dockerd, container):
    """A container of that name that Contractor did not make (another token) is left alone."""
    FUNCTIONS["create"](container)
    with pytest.raises(HandlerError, match=f"engine already has a container '{container['name']}'"):
        FUNCTIONS["create"]({**container, "token": "another-foundation"})
    assert engine_container(dockerd, container["name"]).status == "running"


def test_stop_start_and_power_state(dockerd, container):
    FUNCTIONS["create"](container)
    parameters = {"engine": container["engine"], "name": container["name"], "timeout": 1}
    assert FUNCTIONS["stop"](parameters)["state"] == "off"
    assert engine_container(dockerd, container["name"]).status == "exited"
    assert FUNCTIONS["power_state"](parameters) == {"state": "off", "engine_state": "exited"}
    assert FUNCTIONS["start"](parameters)["state"] == "on"
    assert engine_container(dockerd, container["name"]).status == "running"
    assert FUNCTIONS["power_state"](parameters) == {"state": "on", "engine_state": "running"}


def test_destroy_removes_it_and_a_second_destroy_finds_nothing(dockerd, container):
    FUNCTIONS["create"](container)
    parameters = {"engine": container["engine"], "name": container["name"], "timeout": 1}
    assert FUNCTIONS["destroy"](parameters) == {"destroyed": True}
    assert engine_container(dockerd, container["name"]) is None
    assert FUNCTIONS["destroy"](parameters) == {"destroyed": False}
    assert FUNCTIONS["power_state"](parameters) == {"state": "absent", "engine_state": None}
    with pytest.raises(HandlerError, match=f"engine has no container '{container['name']}'"):
        FUNCTIONS["describe"](parameters)


def test_resource_limits_reach_the_engine(dockerd, container):
    FUNCTIONS["create"]({**container, "cpu_limit": 0.5, "memory_mb": 64, "restart": "unless-stopped"})
    host = engine_container(dockerd, container["name"]).attrs["HostConfig"]
    assert (host["NanoCpus"], host["Memory"]) == (500_000_000, 64 * 1024 * 1024)
    assert host["RestartPolicy"]["Name"] == "unless-stopped"


def test_the_engine_imports_from_a_url(dockerd, tarball, container):
    """import_from as a URL: the engine fetches the tarball itself (here from an HTTP server on loopback)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(tarball.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    image = f"contractor-test/from-url:{uuid_module.uuid4().hex[:6]}"
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{tarball.name}"
        result = FUNCTIONS["create"]({**container, "image": image, "import_from": url})
    finally:
        server.shutdown()
        server.server_close()
    # Podman names the image with the registry it would resolve it from; Docker keeps the name as given.
    assert result["image"].removeprefix("docker.io/").removeprefix("localhost/") == image
    assert result["state"] == "on"
    client = dockerd.client()
    assert client.images.get(image).id == result["image_id"]
    client.close()


def test_an_image_that_is_missing_with_pull_never(container):
    with pytest.raises(HandlerError, match="image 'nowhere/none:1' is not on the engine and 'pull' is 'never'"):
        FUNCTIONS["create"]({**container, "image": "nowhere/none:1", "import_from": None, "pull": "never"})


def test_parameters_are_checked_before_anything_is_sent(dockerd, container):
    bad_port = {**container, "ports": [{"container_port": 8080, "host_port": 70000}]}
    with pytest.raises(HandlerError, match=r"parameter 'ports' item 0: 'host_port' must be a port number \(1-65535\)"):
        FUNCTIONS["create"](bad_port)
    with pytest.raises(HandlerError, match="parameter 'environment' must map names to strings; 'WORKERS' is int"):
        FUNCTIONS["create"]({**container, "environment": {"WORKERS": 4}})
    with pytest.raises(HandlerError, match="parameter 'engine' must be a unix://, tcp://, ssh:// or http"):
        FUNCTIONS["link_test"]({"engine": "/run/docker.sock"})
    with pytest.raises(HandlerError, match="parameter 'pull' must be one of missing, always, never"):
        FUNCTIONS["create"]({**container, "pull": "sometimes"})
    assert engine_container(dockerd, container["name"]) is None


def test_an_engine_that_does_not_answer_is_retryable(tmp_path):
    with pytest.raises(HandlerError, match="unreachable") as caught:
        FUNCTIONS["link_test"]({"engine": f"unix://{tmp_path}/none.sock"})
    assert caught.value.retryable


def test_link_test_reads_the_engine_version(dockerd):
    result = FUNCTIONS["link_test"]({"engine": dockerd.engine})
    assert result["ok"] is True and result["version"] and result["api_version"]
