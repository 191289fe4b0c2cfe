"""Issue 17 end to end: EC2 foundations built, powered and destroyed by Contractor (gunicorn), a foreman worker and a
subcontractor daemon (module aws) against moto's EC2 server on 127.0.0.1, the only fake: a cloud cannot run here.
The cloud's own state is read with boto3."""

import time

import pytest
import requests
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from contractor.user.models import User
from contractor.utilities.models import Address, AddressBlock
from plugins.aws.models import EC2Foundation
from tests.e2e.conftest import ROOT, wait_until
from tests.e2e.vm_rig import ResultGate
from tests.factories import SiteFactory, StructureFactory
from tests.subcontractor.subcontractor_support import REGION, MotoServer

pytestmark = pytest.mark.slow


@pytest.fixture
def cloud(tmp_path):
    server = MotoServer(tmp_path / "moto")
    yield server
    server.stop()


def _instance(cloud, instance_id: str) -> dict:
    return cloud.client().describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


class Api:
    def __init__(self, url: str, token: str, processes):
        self.url, self.processes = url, processes
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Token {token}"

    def post(self, path: str, body: dict) -> dict:
        answer = self.session.post(f"{self.url}/api/v1/{path}", json=body, timeout=30)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def get(self, path: str) -> dict:
        return self.session.get(f"{self.url}/api/v1/{path}", timeout=30).json()

    def run(self, *paths: str, script: str = "", ids: tuple[int, ...] = ()) -> list[dict]:
        """Post a job running `script` on each of `paths` at once (or take the posted `ids`); wait for all."""
        ids = ids or tuple(self.post(f"{path}jobs/", {"script": script})["id"] for path in paths)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            bodies = [self.get(f"jobs/{pk}/") for pk in ids]
            if all(body["state"] in ("done", "error", "aborted") for body in bodies):
                assert [body["state"] for body in bodies] == ["done"] * len(ids), f"{bodies}\n{self.processes.logs()}"
                return bodies
            time.sleep(0.1)
        pytest.fail(f"jobs {ids} did not end\n{self.processes.logs()}")


def test_two_ec2_instances_are_built_powered_and_destroyed(processes, cloud):
    """Through jobs: two ec2-instance foundations with ec2-host structures run in moto, with the ids, MACs and
    addresses Contractor recorded matching the cloud's; one is stopped and started; both are terminated."""
    call_command("load_blueprints", str(ROOT / "plugins/aws/blueprints.toml"))
    site = SiteFactory(name="cloud")
    client = cloud.client()
    subnet = client.describe_subnets()["Subnets"][0]
    image = client.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    AddressBlock.objects.create(name="vpc", site=site, subnet="172.31.0.0", prefix=16)
    admin = User.objects.create_superuser("e2e-admin", "admin@example.com")
    _, sc_token = subcontractor_register(name="sc-aws", sites=["cloud"], modules=["aws"])
    url = processes.contractor()
    processes.foreman("foreman")
    processes.subcontractor("daemon", url, sc_token, "cloud", "aws = 2")
    api = Api(url, Token.objects.create(user=admin).key, processes)
    account = {"name": "moto", "site": "cloud", "region": REGION, "endpoint_url": cloud.url,
               "access_key_id": "AKIATESTING", "secret_access_key": "testing-secret",
               "default_subnet": subnet["SubnetId"]}  # fmt: skip
    shown = api.post("aws-accounts/", account)
    assert "secret_access_key" not in shown and "access_key_id" not in shown and shown["has_credentials"] is True
    blueprint = FoundationBluePrint.objects.get(name="ec2-instance")
    blueprint.config_values = {**blueprint.config_values, "ec2_image_id": image, "ec2_poll_interval": 0.2,
                               "ec2_tags": {"team": "web"}}  # fmt: skip
    blueprint.save()
    hosts = {}
    for n in (1, 2):
        api.post("foundations/", {"type": "ec2", "locator": f"i{n}", "site": "cloud", "blueprint": "ec2-instance",
                                  "account": "moto"})  # fmt: skip
        hosts[f"i{n}"] = StructureFactory(hostname=f"web{n}", site=site, blueprint=StructureBluePrint.objects.get(
            name="ec2-host"), foundation=EC2Foundation.objects.get(locator=f"i{n}"))  # fmt: skip
    api.run(*[f"foundations/{locator}/" for locator in hosts], script="create")
    api.run(*[f"structures/{structure.pk}/" for structure in hosts.values()], script="create")

    for locator, structure in hosts.items():
        foundation = api.get(f"foundations/{locator}/")
        instance = _instance(cloud, foundation["instance_id"])
        assert foundation["state"] == "built" and instance["State"]["Name"] == "running"
        tags = {tag["Key"]: tag["Value"] for tag in instance["Tags"]}
        assert (tags["Name"], tags["team"], instance["ImageId"]) == (locator, "web", image)
        (interface,) = foundation["interfaces"]
        assert interface["mac"] == instance["NetworkInterfaces"][0]["MacAddress"].lower()
        assert foundation["id_map"]["private_address"] == instance["PrivateIpAddress"]
        assert foundation["id_map"]["public_address"] == instance["PublicIpAddress"]
        primary = Address.objects.get(structure=structure, is_primary=True)
        assert (primary.ip_address, primary.interface_name) == (instance["PrivateIpAddress"], "eth0")
    assert len({api.get(f"foundations/{locator}/")["instance_id"] for locator in hosts}) == 2

    first = api.get("foundations/i1/")["instance_id"]
    api.run(f"structures/{hosts['i1'].pk}/", script="destroy")  # ec2-host's destroy stops the instance
    assert _instance(cloud, first)["State"]["Name"] == "stopped"
    api.run(f"structures/{hosts['i1'].pk}/", script="create")  # and its create starts it again
    assert _instance(cloud, first)["State"]["Name"] == "running"

    ids = {locator: api.get(f"foundations/{locator}/")["instance_id"] for locator in hosts}
    api.run(*[f"structures/{structure.pk}/" for structure in hosts.values()], script="destroy")
    api.run(*[f"foundations/{locator}/" for locator in hosts], script="destroy")
    for locator, instance_id in ids.items():
        assert _instance(cloud, instance_id)["State"]["Name"] == "terminated"
        foundation = api.get(f"foundations/{locator}/")
        assert foundation["state"] == "planned" and foundation["instance_id"] == ""
    assert not Address.objects.filter(structure__in=hosts.values()).exists()
    assert sum(len(r["Instances"]) for r in client.describe_instances()["Reservations"]) == 2


def test_a_subcontractor_killed_mid_create_runs_no_second_instance(processes, cloud):
    """The daemon runs the instance but is killed before Contractor hears of it (its result held back): the task
    is leased again, the next daemon's create gets the same instance back for its ClientToken (created false),
    and the job finishes with one instance in the cloud."""
    call_command("load_blueprints", str(ROOT / "plugins/aws/blueprints.toml"))
    SiteFactory(name="cloud")
    client = cloud.client()
    image = client.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    admin = User.objects.create_superuser("e2e-admin", "admin@example.com")
    _, sc_token = subcontractor_register(name="sc-aws", sites=["cloud"], modules=["aws"])
    url = processes.contractor()
    processes.foreman("foreman")
    gate = ResultGate("127.0.0.1", url)
    try:
        gate.holding.set()
        processes.subcontractor("daemon", gate.url, sc_token, "cloud", "aws = 2")
        api = Api(url, Token.objects.create(user=admin).key, processes)
        subnet = client.describe_subnets()["Subnets"][0]["SubnetId"]
        api.post("aws-accounts/", {"name": "moto", "site": "cloud", "region": REGION, "endpoint_url": cloud.url,
                                   "access_key_id": "AKIATESTING", "secret_access_key": "testing-secret",
                                   "default_subnet": subnet})  # fmt: skip
        blueprint = FoundationBluePrint.objects.get(name="ec2-instance")
        blueprint.config_values = {**blueprint.config_values, "ec2_image_id": image, "ec2_poll_interval": 0.2}
        blueprint.save()
        api.post("foundations/", {"type": "ec2", "locator": "ikill", "site": "cloud", "blueprint": "ec2-instance",
                                  "account": "moto"})  # fmt: skip
        job = api.post("foundations/ikill/jobs/", {"script": "create"})["id"]
        assert wait_until(lambda: gate.held, 60), processes.logs()  # it ran the instance and is posting
        processes.kill("daemon")
        gate.holding.clear()
        task = Task.objects.get(job_id=job, function="create")
        assert task.state == "leased" and task.result is None
        processes.subcontractor("after", url, sc_token, "cloud", "aws = 2")
        api.run(ids=(job,))
    finally:
        gate.stop()
    task.refresh_from_db()
    assert task.attempts >= 2 and task.result["created"] is False, (task.attempts, task.result)
    instances = [i for r in client.describe_instances()["Reservations"] for i in r["Instances"]]
    assert [i["InstanceId"] for i in instances] == [api.get("foundations/ikill/")["instance_id"]]
    assert instances[0]["State"]["Name"] == "running"
