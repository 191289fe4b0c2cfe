"""Issue 17 end to end: containers built and destroyed by Contractor with the shipped containers blueprints.

Contractor (gunicorn), a foreman worker and a subcontractor daemon (modules containers and iputils) run for
real against an engine of the test's own: dockerd, then Podman's Docker-compatible API service. The image is
imported from a busybox root filesystem the test builds (there is no registry here); each container serves
HTTP on its port 8080, published on a host port Contractor allocated from the host's range, on 127.0.0.1.
The tests check the engine's own state with a client of their own, and fetch a page through the published port.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
import requests
from container_engines import IMAGE, bridge_network, rootfs_tarball, start_engine
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contractor.site.services import site_create
from contractor.subcontracting.services import subcontractor_register
from contractor.user.models import User
from plugins.containers.models import ContainerFoundation
from tests.e2e.conftest import ROOT
from tests.e2e.vm_rig import wait_for

pytestmark = pytest.mark.slow

BLUEPRINTS = ROOT / "plugins" / "containers" / "blueprints.toml"
#: the host ports the host gives containers: within this helper's own port range
HOST_PORTS = (18340, 18399)
PAGE = "hello from a container\n"


@pytest.fixture(params=["docker", "podman"])
def engine(request):
    """An engine of the test's own with a bridge network and the busybox root filesystem to import."""
    root = Path(tempfile.mkdtemp(prefix="ct-", dir="/tmp"))
    running = start_engine(request.param, root)
    running.network = bridge_network(running)
    running.tarball = rootfs_tarball(root / "rootfs.tar")
    yield running
    running.stop()
    shutil.rmtree(root, ignore_errors=True)


class Rig:
    """The processes, the API session and the plan: host `ct-host` in complex `ct`, containers on it."""

    def __init__(self, processes, engine):
        self.processes, self.engine = processes, engine
        call_command("load_blueprints", str(BLUEPRINTS), verbosity=0)
        config = {
            "container_image": IMAGE,
            "container_import_from": str(engine.tarball),
            "container_command": ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
            "container_network": engine.network,
            "container_ports": [8080],
            "container_environment": {"ROLE": "web"},
            "container_memory_mb": 64,
            "container_cpus": 0.5,
            "container_stop_timeout": 1,  # busybox httpd as PID 1 ignores SIGTERM; the test's task lease is 3 s
            "service_port": 8080,
        }
        site_create(name="lab", description="containers", config_values=config)
        admin = User.objects.create_superuser("ct-admin", "ct@example.com", "ct-password")
        self.api = requests.Session()
        self.api.trust_env = False
        self.api.headers["Authorization"] = f"Token {Token.objects.create(user=admin).key}"
        _, token = subcontractor_register(name="ct-sc", sites=["lab"], modules=["containers", "iputils"])
        self.url = processes.contractor()
        processes.foreman("foreman")
        processes.subcontractor("daemon", self.url, token, "lab", "containers = 2\niputils = 2")
        self.structures: dict[str, int] = {}

    def post(self, path: str, body: dict) -> dict:
        response = self.api.post(f"{self.url}/api/v1/{path}", json=body, timeout=30)
        assert response.status_code < 300, f"POST {path} {body}: {response.status_code} {response.text}"
        return response.json()

    def get(self, path: str) -> dict:
        return self.api.get(f"{self.url}/api/v1/{path}", timeout=30).json()

    def jobs(self, *targets: tuple[str, str]) -> dict:
        """Post a job per (path, script) at once and wait for all of them to end; the last state of each."""
        ids = [self.post(f"{path}/jobs/", {"script": script})["id"] for path, script in targets]
        states: dict = {}

        def ended():
            states.update({pk: self.get(f"jobs/{pk}/") for pk in ids})
            return all(body.get("state") in ("done", "error", "aborted") for body in states.values())

        assert wait_for(ended, 120, 0.5), f"jobs did not end: {states}\n{self.processes.logs()}"
        assert [body["state"] for body in states.values()] == ["done"] * len(ids), f"{states}\n{self.processes.logs()}"
        return states

    def build_host(self):
        self.post("foundations/", {"type": "manual", "locator": "ct-host-hw", "site": "lab",
                                   "blueprint": "container-host-machine"})  # fmt: skip
        config = {"container_engine_url": self.engine.engine, "container_publish_address": "127.0.0.1",
                  "container_port_min": HOST_PORTS[0], "container_port_max": HOST_PORTS[1]}  # fmt: skip
        host = self.post("structures/", {"hostname": "ct-host", "site": "lab", "blueprint": "container-host",
                                         "foundation": "ct-host-hw", "config_values": config})  # fmt: skip
        self.post("container-complexes/", {"name": "ct", "site": "lab", "members": [host["id"]]})
        self.jobs(("foundations/ct-host-hw", "create"), (f"structures/{host['id']}", "create"))

    def plan_container(self, locator: str) -> None:
        self.post("foundations/", {"type": "container", "locator": locator, "site": "lab", "blueprint": "container",
                                   "complex": "ct"})  # fmt: skip
        structure = self.post("structures/", {"hostname": f"{locator}-svc", "site": "lab",
                                              "blueprint": "container-service", "foundation": locator})  # fmt: skip
        self.structures[locator] = structure["id"]

    def create(self, *locators: str) -> None:
        targets = [(f"foundations/{locator}", "create") for locator in locators]
        self.jobs(*targets, *[(f"structures/{self.structures[locator]}", "create") for locator in locators])

    def destroy(self, locator: str) -> None:
        self.jobs((f"structures/{self.structures[locator]}", "destroy"))
        self.jobs((f"foundations/{locator}", "destroy"))

    def engine_container(self, name: str):
        client = self.engine.client()
        try:
            found = [container for container in client.containers.list(all=True) if container.name == name]
            return found[0] if found else None
        finally:
            client.close()


def _page(port: int) -> str | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/index.html", timeout=2).text
    except requests.RequestException:
        return None


def test_containers_are_built_on_their_own_ports_and_destroyed(processes, engine):
    """Two container foundations with a container-service structure each, created at once on one host: both
    run on the engine with Contractor's label, each published on its own host port from the host's range,
    where its page answers; destroying one removes its container and frees its port, the other runs on."""
    rig = Rig(processes, engine)
    rig.build_host()
    for locator in ("ct-web1", "ct-web2"):
        rig.plan_container(locator)
    rig.create("ct-web1", "ct-web2")

    ports = {}
    for locator in ("ct-web1", "ct-web2"):
        foundation = rig.get(f"foundations/{locator}/")
        structure = rig.get(f"structures/{rig.structures[locator]}/")
        assert (foundation["state"], structure["state"]) == ("built", "built"), (foundation, structure)
        found = rig.engine_container(locator)
        assert found is not None and found.status == "running", rig.processes.logs()
        token = str(ContainerFoundation.objects.get(locator=locator).token)
        assert foundation["container_id"] == found.id and found.labels["contractor.token"] == token
        assert found.labels["contractor.foundation"] == locator and "ROLE=web" in found.attrs["Config"]["Env"]
        host_config = found.attrs["HostConfig"]
        assert (host_config["Memory"], host_config["NanoCpus"]) == (64 * 1024 * 1024, 500_000_000)
        (port,) = foundation["ports"]
        assert (port["container_port"], port["protocol"], port["host"]) == (8080, "tcp", "ct-host")
        assert HOST_PORTS[0] <= port["host_port"] <= HOST_PORTS[1]
        assert foundation["host"] == "ct-host" and foundation["id_map"]["ports"][0]["host_port"] == port["host_port"]
        assert _page(port["host_port"]) == PAGE  # the structure's create waited for this port
        ports[locator] = port["host_port"]
    assert ports["ct-web1"] != ports["ct-web2"]
    listed = rig.get("container-ports/?host=ct-host")["results"]
    assert sorted(row["host_port"] for row in listed) == sorted(ports.values())
    assert rig.get("container-complexes/ct/")["container_count"] == 2

    rig.destroy("ct-web1")
    assert rig.engine_container("ct-web1") is None
    assert _page(ports["ct-web1"]) is None
    foundation = rig.get("foundations/ct-web1/")
    assert (foundation["state"], foundation["host"], foundation["container_id"], foundation["ports"]) == (
        "planned",
        None,
        "",
        [],
    )
    assert [row["host_port"] for row in rig.get("container-ports/?host=ct-host")["results"]] == [ports["ct-web2"]]
    assert rig.engine_container("ct-web2").status == "running" and _page(ports["ct-web2"]) == PAGE

    rig.destroy("ct-web2")
    assert rig.engine_container("ct-web2") is None
    assert rig.get("container-ports/")["results"] == []
