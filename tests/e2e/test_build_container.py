"""Issue 17 end to end: containers built and destroyed by Contractor with the shipped containers blueprints.

Contractor (gunicorn), a foreman worker and a subcontractor daemon (modules containers and iputils) run for
real against engines of the test's own, started once for the module: dockerd and Podman's Docker-compatible
API service, each behind a container host of its own, both built and served by the one stack at once. The image
is imported from a busybox root filesystem the test builds (there is no registry here); each container serves
HTTP on its port 8080, published on a host port Contractor allocated from its host's range, on 127.0.0.1, and
joins the test's lab bridge (a Linux bridge joined to a namespace of the test's own, as tests/vmlab.py's lab):
Docker's bridge driver onto that bridge, Podman's macvlan on it. The tests check the engines' own state with a
client of their own, fetch a page through the published port, and one from inside the namespace on the
container's lab address.
"""

import ipaddress
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import requests
from container_engines import IMAGE, LabBridge, bridge_network, rootfs_tarball, start_engine
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contractor.site.services import site_create
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from contractor.user.models import User
from plugins.containers.models import ContainerFoundation
from tests.e2e.conftest import ROOT
from tests.e2e.vm_rig import ResultGate, wait_for

pytestmark = pytest.mark.slow

BLUEPRINTS = ROOT / "plugins" / "containers" / "blueprints.toml"
#: the host ports each engine's host gives containers: within this helper's own port range (27000-27999)
HOST_PORTS = {"docker": (27300, 27309), "podman": (27310, 27319)}
PAGE = "hello from a container\n"


def _start(kind: str, root: Path, started: dict, skipped: dict) -> None:
    try:
        started[kind] = start_engine(kind, root / kind)
    except pytest.skip.Exception as skip:
        skipped[kind] = str(skip)


@pytest.fixture(scope="module")
def engines():
    """Both engines (started at once; one whose binary is missing is left out, saying why), the busybox root
    filesystem, and the lab bridge with a network on it per engine."""
    root = Path(tempfile.mkdtemp(prefix="ct-", dir="/tmp"))
    tarball = rootfs_tarball(root / "rootfs.tar")
    started: dict = {}
    skipped: dict = {}
    threads = []
    for kind in ("docker", "podman"):
        (root / kind).mkdir()
        threads.append(threading.Thread(target=_start, args=(kind, root, started, skipped)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not started:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip("; ".join(skipped.values()))
    lab = LabBridge()
    for part, engine in enumerate(started.values(), start=1):
        engine.tarball, engine.lab_network = tarball, lab.network(engine, part)
        # Docker publishes ports on its network on the lab bridge; Podman publishes none on a macvlan network,
        # so its containers are created on a bridge network of their own and join the lab's as well.
        engine.network = engine.lab_network if engine.kind == "docker" else bridge_network(engine)
    yield lab, started, skipped
    for engine in started.values():
        engine.stop()
    lab.close()
    shutil.rmtree(root, ignore_errors=True)


class Rig:
    """The processes, the API session and the plan: host `ct-host` in complex `ct`, containers on it."""

    def __init__(self, processes, engines: dict, gate: ResultGate | None = None):
        self.processes, self.engines = processes, engines
        call_command("load_blueprints", str(BLUEPRINTS), verbosity=0)
        config = {
            "container_image": IMAGE,
            "container_command": ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"],
            "container_ports": [8080],
            "container_environment": {"ROLE": "web"},
            "container_memory_mb": 64,
            "container_cpus": 0.5,
            "container_stop_timeout": 1,  # busybox httpd as PID 1 ignores SIGTERM: a short stop is a kill
            "service_port": 8080,
        }
        lab = site_create(name="lab", description="containers", config_values=config)
        for kind, engine in engines.items():  # a site per engine: its foundations' network and image source
            values = {"container_network": engine.network, "container_import_from": str(engine.tarball)}
            if engine.lab_network != engine.network:
                values["container_networks"] = [engine.lab_network]
            site_create(name=f"lab-{kind}", parent=lab, config_values=values)
        admin = User.objects.create_superuser("ct-admin", "ct@example.com")
        self.api = requests.Session()
        self.api.trust_env = False
        self.api.headers["Authorization"] = f"Token {Token.objects.create(user=admin).key}"
        _, token = subcontractor_register(name="ct-sc", sites=["lab"], modules=["containers", "iputils"])
        self.url, self.token = processes.contractor(), token
        processes.foreman("foreman")
        if gate is not None:  # the daemon posts through the gate, which can hold its results back
            gate.target = self.url
        self.daemon("daemon", gate.url if gate is not None else self.url)
        self.structures: dict[str, int] = {}

    def daemon(self, name: str, url: str):
        return self.processes.subcontractor(name, url, self.token, "lab", "containers = 4\niputils = 4")

    def post(self, path: str, body: dict) -> dict:
        response = self.api.post(f"{self.url}/api/v1/{path}", json=body, timeout=30)
        assert response.status_code < 300, f"POST {path} {body}: {response.status_code} {response.text}"
        return response.json()

    def get(self, path: str) -> dict:
        return self.api.get(f"{self.url}/api/v1/{path}", timeout=30).json()

    def jobs(self, *targets: tuple[str, str], ids: list[int] | None = None) -> dict:
        """Post a job per (path, script) at once (or take the posted `ids`) and wait for all of them to end; the
        last state of each."""
        ids = ids or [self.post(f"{path}/jobs/", {"script": script})["id"] for path, script in targets]
        states: dict = {}

        def ended():
            states.update({pk: self.get(f"jobs/{pk}/") for pk in ids})
            return all(body.get("state") in ("done", "error", "aborted") for body in states.values())

        assert wait_for(ended, 120, 0.5), f"jobs did not end: {states}\n{self.processes.logs()}"
        assert [body["state"] for body in states.values()] == ["done"] * len(ids), f"{states}\n{self.processes.logs()}"
        return states

    def build_hosts(self):
        """A container host per engine (`ct-docker`, `ct-podman`) in a complex of its own (`ct-docker`, ...)."""
        targets = []
        for kind, engine in self.engines.items():
            site, locator = f"lab-{kind}", f"ct-{kind}-hw"
            self.post("foundations/", {"type": "manual", "locator": locator, "site": site,
                                       "blueprint": "container-host-machine"})  # fmt: skip
            low, high = HOST_PORTS[kind]
            config = {"container_engine_url": engine.engine, "container_publish_address": "127.0.0.1",
                      "container_port_min": low, "container_port_max": high}  # fmt: skip
            host = self.post("structures/", {"hostname": f"ct-{kind}", "site": site, "blueprint": "container-host",
                                             "foundation": locator, "config_values": config})  # fmt: skip
            self.post("container-complexes/", {"name": f"ct-{kind}", "site": site, "members": [host["id"]]})
            targets += [(f"foundations/{locator}", "create"), (f"structures/{host['id']}", "create")]
        self.jobs(*targets)

    def plan_container(self, kind: str, locator: str) -> None:
        site = f"lab-{kind}"
        self.post("foundations/", {"type": "container", "locator": locator, "site": site, "blueprint": "container",
                                   "complex": f"ct-{kind}"})  # fmt: skip
        structure = self.post("structures/", {"hostname": f"{locator}-svc", "site": site,
                                              "blueprint": "container-service", "foundation": locator})  # fmt: skip
        self.structures[locator] = structure["id"]

    def create(self, *locators: str) -> None:
        targets = [(f"foundations/{locator}", "create") for locator in locators]
        self.jobs(*targets, *[(f"structures/{self.structures[locator]}", "create") for locator in locators])

    def destroy(self, *locators: str) -> None:
        self.jobs(*[(f"structures/{self.structures[locator]}", "destroy") for locator in locators])
        self.jobs(*[(f"foundations/{locator}", "destroy") for locator in locators])

    def engine_container(self, kind: str, name: str):
        client = self.engines[kind].client()
        try:
            found = [container for container in client.containers.list(all=True) if container.name == name]
            return found[0] if found else None
        finally:
            client.close()


def test_a_subcontractor_killed_mid_create_makes_no_second_container(processes, engines):
    """The daemon creates the container but is killed before Contractor hears of it (its result held back): the
    task is leased again, the next daemon's create finds the container by its token (created false), and the
    job finishes with that one container on the engine."""
    _lab, running, _skipped = engines
    kind = next(iter(running))
    gate = ResultGate("127.0.0.1", "")
    try:
        rig = Rig(processes, {kind: running[kind]}, gate=gate)
        rig.build_hosts()
        locator = f"ct-{kind[0]}kill"
        rig.plan_container(kind, locator)
        gate.holding.set()
        (job,) = [rig.post(f"foundations/{locator}/jobs/", {"script": "create"})["id"]]
        assert wait_for(lambda: rig.engine_container(kind, locator) is not None, 60), processes.logs()
        assert wait_for(lambda: gate.held, 30), processes.logs()  # it made the container and is posting
        processes.kill("daemon")
        gate.holding.clear()
        task = Task.objects.get(job_id=job, function="create")
        assert task.state == "leased" and task.result is None
        rig.daemon("after", rig.url)
        rig.jobs(ids=[job])
    finally:
        gate.stop()
    task.refresh_from_db()
    assert task.attempts >= 2 and task.result["created"] is False, (task.attempts, task.result)
    client = running[kind].client()
    try:
        mine = client.containers.list(all=True, filters={"label": f"contractor.foundation={locator}"})
    finally:
        client.close()
    assert [container.id for container in mine] == [rig.get(f"foundations/{locator}/")["container_id"]]
    assert mine[0].status == "running"
    rig.jobs((f"foundations/{locator}", "destroy"))
    assert rig.engine_container(kind, locator) is None


def _page(port: int) -> str | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/index.html", timeout=2).text
    except requests.RequestException:
        return None


def test_containers_are_built_on_their_own_ports_and_destroyed(processes, engines):
    """On each engine's host, two container foundations with a container-service structure each, all four
    created at once: each runs on its engine with Contractor's label, published on its own host port from its
    host's range, where its page answers, and on the lab bridge, where the page answers a fetch from inside the
    lab namespace; destroying one removes its container and frees its port, the other runs on."""
    lab, running, skipped = engines
    rig = Rig(processes, running)
    rig.build_hosts()
    planned = {kind: (f"ct-{kind[0]}web1", f"ct-{kind[0]}web2") for kind in running}
    for kind, locators in planned.items():
        for locator in locators:
            rig.plan_container(kind, locator)
    rig.create(*[locator for locators in planned.values() for locator in locators])

    ports: dict[str, int] = {}
    for kind, locators in planned.items():
        for locator in locators:
            foundation = rig.get(f"foundations/{locator}/")
            structure = rig.get(f"structures/{rig.structures[locator]}/")
            assert (foundation["state"], structure["state"]) == ("built", "built"), (foundation, structure)
            found = rig.engine_container(kind, locator)
            assert found is not None and found.status == "running", rig.processes.logs()
            token = str(ContainerFoundation.objects.get(locator=locator).token)
            assert foundation["container_id"] == found.id and found.labels["contractor.token"] == token
            assert found.labels["contractor.foundation"] == locator and "ROLE=web" in found.attrs["Config"]["Env"]
            host_config = found.attrs["HostConfig"]
            assert (host_config["Memory"], host_config["NanoCpus"]) == (64 * 1024 * 1024, 500_000_000)
            (port,) = foundation["ports"]
            assert (port["container_port"], port["protocol"], port["host"]) == (8080, "tcp", f"ct-{kind}")
            assert port["address"] == "127.0.0.1" and HOST_PORTS[kind][0] <= port["host_port"] <= HOST_PORTS[kind][1]
            assert foundation["host"] == f"ct-{kind}"
            assert foundation["id_map"]["ports"][0]["host_port"] == port["host_port"]
            assert _page(port["host_port"]) == PAGE  # the structure's create waited for this port
            networks = {row["network"]: row for row in foundation["id_map"]["networks"]}
            assert set(networks) == {running[kind].network, running[kind].lab_network}, networks
            network = networks[running[kind].lab_network]
            assert ipaddress.ip_address(network["address"]) in lab.subnet
            assert lab.fetch(f"http://{network['address']}:8080/index.html") == PAGE, f"{kind}: {network}"
            ports[locator] = port["host_port"]
        first, second = locators
        assert ports[first] != ports[second]
        listed = rig.get(f"container-ports/?host=ct-{kind}")["results"]
        assert sorted(row["host_port"] for row in listed) == sorted(ports[locator] for locator in locators)
        assert rig.get(f"container-complexes/ct-{kind}/")["container_count"] == 2

    rig.destroy(*[locators[0] for locators in planned.values()])
    for kind, (gone, kept) in planned.items():
        assert rig.engine_container(kind, gone) is None
        assert _page(ports[gone]) is None
        foundation = rig.get(f"foundations/{gone}/")
        assert (foundation["state"], foundation["host"], foundation["container_id"], foundation["ports"]) == (
            "planned",
            None,
            "",
            [],
        )
        assert [row["host_port"] for row in rig.get(f"container-ports/?host=ct-{kind}")["results"]] == [ports[kept]]
        assert rig.engine_container(kind, kept).status == "running" and _page(ports[kept]) == PAGE

    rig.destroy(*[locators[1] for locators in planned.values()])
    for kind, (_gone, kept) in planned.items():
        assert rig.engine_container(kind, kept) is None
    assert rig.get("container-ports/")["results"] == []
    if skipped:
        pytest.skip(f"built and destroyed on {', '.join(running)} only: {'; '.join(skipped.values())}")
