"""The containers plugin in the database: the tasks its script functions send (the contract of the `containers`
module), host ports allocated per host without clashes and released on destroy, over the subcontractor
protocol (a test client plays the daemon; the real engines are in tests/e2e/test_build_container.py)."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create
from contractor.foreman.worker import Worker
from plugins.containers.models import ContainerFoundation, ContainerPort
from plugins.containers.services import container_place
from tests.contractor.foreman.test_protocol import registered
from tests.factories import FoundationBluePrintFactory, ScriptFactory
from tests.plugins.containers.factories import ContainerComplexFactory, ContainerFoundationFactory, add_host

pytestmark = pytest.mark.django_db

CONFIG = {"container_image": "web:1", "container_ports": [8080, "53/udp"], "container_stop_timeout": 2}


@pytest.fixture
def complex_(db):
    """Complex `cc` with one built host `dock1` (ports 40000-40002 on 127.0.0.1)."""
    made = ContainerComplexFactory(name="cc")
    add_host(made, "dock1", container_engine_url="unix:///tmp/x.sock", container_port_min=40000,
             container_port_max=40002, container_publish_address="127.0.0.1")  # fmt: skip
    return made


def _job(script: str, complex_, config=CONFIG, **fields):
    """A container foundation with a blueprint of its own (config and create script) and its create job."""
    blueprint = FoundationBluePrintFactory(name=f"bp-{uuid.uuid4().hex[:8]}", foundation_types=["container"],
                                           config_values=config)  # fmt: skip
    foundation = ContainerFoundationFactory(complex=complex_, blueprint=blueprint, **fields)
    ScriptFactory(blueprint=blueprint, name="create", script=script)
    return job_create(target=foundation, script_name="create")


def run(passes=20):
    worker = Worker(batch=10)
    for _ in range(passes):
        if not worker.run_once():
            break


class Daemon:
    """Plays the subcontractor over the protocol: takes the `containers` and `iputils` tasks and answers them."""

    def __init__(self, site):
        _, self.client = registered("sc-ctr", [site], modules=["containers", "iputils"])

    def take(self) -> list[dict]:
        body = {"modules": {"containers": 8, "iputils": 8}}
        return self.client.post("/api/v1/subcontractor/poll/", body, format="json").json()["tasks"]

    def answer(self, task: dict, result: dict):
        url = f"/api/v1/subcontractor/tasks/{task['id']}/result/"
        response = self.client.post(url, {"cookie": task["cookie"], "result": result}, format="json")
        assert response.status_code == 200, response.content


def created(task: dict) -> dict:
    ports = [{**port, "host_ip": port.get("host_ip")} for port in task["parameters"]["ports"]]
    network = {"network": "lab", "address": "10.1.0.2", "mac": "02:42:0A:01:00:02"}
    return {"id": "c0ffee" * 10, "name": task["parameters"]["name"], "state": "on", "engine_state": "running",
            "image": "web:1", "image_id": "sha256:1", "ports": ports,
            "networks": [network], "created": True}  # fmt: skip


def test_create_sends_the_contract_parameters(complex_):
    """containers.create carries the host's engine, the locator as name, the token, the allocated host ports on
    the host's publish address, labels, and the spec from the merged config."""
    job = _job("foundation.create()\n", complex_)
    run()
    (task,) = Daemon(complex_.site).take()
    foundation = ContainerFoundation.objects.get(pk=job.foundation_id)
    assert (task["module"], task["function"]) == ("containers", "create")
    assert task["parameters"] == {
        "engine": "unix:///tmp/x.sock", "name": foundation.locator, "token": str(foundation.token),
        "labels": {"contractor.foundation": foundation.locator, "contractor.site": "lab"},
        "ports": [{"container_port": 53, "protocol": "udp", "host_port": 40001, "host_ip": "127.0.0.1"},
                  {"container_port": 8080, "protocol": "tcp", "host_port": 40000, "host_ip": "127.0.0.1"}],
        "image": "web:1", "pull": "missing", "environment": {},
    }  # fmt: skip
    assert foundation.host.hostname == "dock1"


def test_two_containers_on_one_host_never_share_a_port_and_destroy_releases_them(complex_):
    """The second container gets the next free ports; a full range is a resumable error naming the host; a
    destroy answered by the engine frees the ports for the next container."""
    config = {**CONFIG, "container_ports": [8080, 8081]}
    first = _job("foundation.create()\nfoundation.destroy()\n", complex_, config=config)
    second = _job("foundation.create()\n", complex_, config={**CONFIG, "container_ports": [8080]})
    run()
    daemon = Daemon(complex_.site)
    tasks = {task["parameters"]["name"]: task for task in daemon.take()}
    assert len(tasks) == 2
    used = [port["host_port"] for task in tasks.values() for port in task["parameters"]["ports"]]
    assert sorted(used) == [40000, 40001, 40002]
    third = _job("foundation.create()\n", complex_)
    run()
    third.refresh_from_db()
    assert third.state == JobState.ERROR and "dock1 has no free port in 40000-40002" in third.message
    for task in tasks.values():
        daemon.answer(task, created(task))
    run()
    (destroy,) = daemon.take()
    assert destroy["function"] == "destroy"
    assert destroy["parameters"] == {"engine": "unix:///tmp/x.sock", "name": first.foundation.locator, "timeout": 2}
    daemon.answer(destroy, {"destroyed": True})
    run()
    gone = ContainerFoundation.objects.get(pk=first.foundation_id)
    assert (gone.host, gone.container_id, gone.ports.count()) == (None, "", 0)
    assert list(ContainerPort.objects.values_list("host_port", flat=True)) == [
        t["parameters"]["ports"][0]["host_port"] for t in tasks.values() if t["parameters"]["name"] != gone.locator
    ]
    assert second.foundation.ports.count() == 1


def test_the_answer_is_recorded(complex_):
    """The engine's id becomes container_id; its NIC on each network an interface with the engine's MAC."""
    job = _job("foundation.create()\n", complex_)
    run()
    daemon = Daemon(complex_.site)
    (task,) = daemon.take()
    daemon.answer(task, created(task))
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    foundation = ContainerFoundation.objects.get(pk=job.foundation_id)
    assert foundation.container_id == "c0ffee" * 10
    (interface,) = foundation.interfaces.all()
    assert (interface.name, interface.mac) == ("lab", "02:42:0a:01:00:02")
    assert foundation.attributes()["_container_ports"] == {"53/udp": 40001, "8080/tcp": 40000}


def test_a_create_run_again_keeps_its_ports(complex_):
    """Placing the same container again (a create re-run after a lost answer) gives it the same host ports."""
    foundation = ContainerFoundationFactory(complex=complex_)
    container_place(foundation=foundation, ports=[(8080, "tcp")])
    container_place(foundation=foundation, ports=[(8080, "tcp")])
    assert list(foundation.ports.values_list("host_port", flat=True)) == [40000]


def test_the_database_refuses_one_host_port_twice(complex_):
    """Behind the service's lock: the (host, host_port) unique constraint."""
    host = complex_.members.get()
    one, two = ContainerFoundationFactory(complex=complex_), ContainerFoundationFactory(complex=complex_)
    ContainerPort.objects.create(foundation=one, host=host, container_port=80, host_port=40000)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContainerPort.objects.create(foundation=two, host=host, container_port=80, host_port=40000)


def test_wait_port_waits_for_the_published_port(complex_):
    """foundation.wait_port( port=8080 ) is an iputils wait on the host's publish address and the host port."""
    job = _job("foundation.create()\nfoundation.wait_port( port=8080, timeout=30 )\n", complex_)
    run()
    daemon = Daemon(complex_.site)
    (task,) = daemon.take()
    daemon.answer(task, created(task))
    run()
    (wait,) = daemon.take()
    assert (wait["module"], wait["function"]) == ("iputils", "wait_for_port")
    assert wait["parameters"] == {"address": "127.0.0.1", "port": 40000, "timeout": 30, "interval": 1}
    daemon.answer(wait, {"state": "open"})
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"container_ports": [8080]}, "container_image must name an image"),
        ({**CONFIG, "container_ports": [70000]}, "must be a port number"),
        ({**CONFIG, "container_pull": "sometimes"}, "container_pull must be one of"),
        ({**CONFIG, "container_memory_mb": "lots"}, "container_memory_mb must be a whole number"),
    ],
)
def test_a_bad_spec_value_ends_the_job_naming_it(complex_, config, message):
    job = _job("foundation.create()\n", complex_, config=config)
    run()
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and message in job.message, job.message
    assert not ContainerPort.objects.exists()


def test_the_api_lists_the_ports_and_the_complexes(complex_, viewer_client):
    foundation = ContainerFoundationFactory(complex=complex_, locator="ctr-api")
    container_place(foundation=foundation, ports=[(8080, "tcp")])
    rows = viewer_client.get("/api/v1/container-ports/", {"host": "dock1"}).data["results"]
    assert [(r["foundation"], r["host"], r["host_port"], r["container_port"]) for r in rows] == [
        ("ctr-api", "dock1", 40000, 8080)
    ]
    assert viewer_client.get("/api/v1/container-ports/", {"host": "other"}).data["results"] == []
    body = viewer_client.get("/api/v1/foundations/ctr-api/").data
    assert (body["type"], body["complex"], body["host"]) == ("container", "cc", "dock1")
    assert body["ports"] == [
        {"container_port": 8080, "protocol": "tcp", "host": "dock1", "host_port": 40000, "address": "127.0.0.1"}
    ]
    assert viewer_client.get("/api/v1/container-complexes/cc/").data["container_count"] == 1
