"""The aws handler against moto's EC2 server on 127.0.0.1 (the only fake allowed: a cloud API cannot run here).

The handler talks to it through boto3, the real client, exactly as it would to AWS; the tests read the
cloud's own state with a second boto3 client of their own.
"""

import threading
import uuid as uuid_module

import pytest
from subcontractor_support import REGION, MotoServer, free_port

from subcontractor.handlers import HandlerError, registry
from subcontractor.handlers.aws import FUNCTIONS, TOKEN_TAG


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """One moto server for the module (it takes seconds to start); each test uses tokens of its own."""
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def image(cloud) -> str:
    return cloud.client().describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


@pytest.fixture
def token(request) -> str:
    """A create token no other test uses: the instances a test made are those carrying its tokens."""
    return f"{request.node.name[:40]}-{uuid_module.uuid4().hex[:8]}"


def instances(cloud, *tokens: str) -> list[dict]:
    """The cloud's own list of the instances created with these tokens, oldest first."""
    request = {"Filters": [{"Name": f"tag:{TOKEN_TAG}", "Values": list(tokens)}]}
    reservations = cloud.client().describe_instances(**request)["Reservations"]
    found = [instance for reservation in reservations for instance in reservation["Instances"]]
    return sorted(found, key=lambda instance: instance["LaunchTime"])


def test_the_daemon_has_the_module():
    assert set(registry()["aws"]) == {
        "create",
        "describe",
        "power_on",
        "power_off",
        "power_state",
        "destroy",
        "link_test",
    }


def test_create_runs_one_instance_and_records_its_addresses(cloud, image, token):
    """create runs the instance with the tags and type asked for, waits for running, and reports what
    Contractor records: id, MAC, private and public addresses."""
    result = FUNCTIONS["create"](
        cloud.account(token=token, image_id=image, instance_type="t3.micro", tags={"Name": "web1", "site": "lab"})
    )
    assert result["created"] is True
    assert (result["state"], result["ec2_state"]) == ("on", "running")
    [instance] = instances(cloud, token)
    assert instance["InstanceId"] == result["instance_id"]
    assert instance["InstanceType"] == "t3.micro"
    assert {tag["Key"]: tag["Value"] for tag in instance["Tags"]} == {"Name": "web1", "site": "lab", TOKEN_TAG: token}
    assert result["private_address"] == instance["PrivateIpAddress"]
    assert result["public_address"] == instance["PublicIpAddress"]
    [nic] = result["interfaces"]
    assert nic["name"] == "eth0"
    assert nic["mac"] == instance["NetworkInterfaces"][0]["MacAddress"].lower()
    assert nic["private_address"] == instance["PrivateIpAddress"]


def test_a_create_run_again_finds_its_instance(cloud, image, token):
    """A create repeated after a lost result (same token) returns the same instance and runs no second one."""
    parameters = cloud.account(token=token, image_id=image, instance_type="t3.micro")
    first = FUNCTIONS["create"](parameters)
    again = FUNCTIONS["create"](parameters)
    assert (again["instance_id"], again["created"]) == (first["instance_id"], False)
    assert len(instances(cloud, token)) == 1


def test_concurrent_creates_with_different_tokens_make_two_instances(cloud, image, token):
    """Two foundations built at once: two instances, each found again by its own token."""
    results = {}

    def build(name):
        results[name] = FUNCTIONS["create"](cloud.account(token=name, image_id=image, instance_type="t3.small"))

    names = (f"{token}-a", f"{token}-b")
    threads = [threading.Thread(target=build, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[names[0]]["instance_id"] != results[names[1]]["instance_id"]
    states = {instance["InstanceId"]: instance["State"]["Name"] for instance in instances(cloud, *names)}
    assert states == {results[name]["instance_id"]: "running" for name in names}


def test_power_off_and_on_stop_and_start_the_instance(cloud, image, token):
    created = FUNCTIONS["create"](cloud.account(token=token, image_id=image, instance_type="t3.micro"))
    parameters = cloud.account(instance_id=created["instance_id"])
    assert FUNCTIONS["power_off"](parameters)["state"] == "off"
    assert instances(cloud, token)[0]["State"]["Name"] == "stopped"
    assert FUNCTIONS["power_state"](parameters) == {"state": "off", "ec2_state": "stopped"}
    assert FUNCTIONS["power_off"](parameters)["state"] == "off"  # again: nothing to do
    assert FUNCTIONS["power_on"](parameters)["state"] == "on"
    assert instances(cloud, token)[0]["State"]["Name"] == "running"


def test_destroy_terminates_and_a_second_destroy_finds_nothing(cloud, image, token):
    created = FUNCTIONS["create"](cloud.account(token=token, image_id=image, instance_type="t3.micro"))
    parameters = cloud.account(instance_id=created["instance_id"])
    assert FUNCTIONS["destroy"](parameters) == {"destroyed": True, "instance_id": created["instance_id"]}
    assert instances(cloud, token)[0]["State"]["Name"] == "terminated"
    assert FUNCTIONS["destroy"](parameters) == {"destroyed": False}
    assert FUNCTIONS["power_state"](parameters)["state"] == "terminated"
    # A create with the old token runs a new instance: a terminated one is not "found again".
    again = FUNCTIONS["create"](cloud.account(token=token, image_id=image, instance_type="t3.micro"))
    assert again["created"] is True and again["instance_id"] != created["instance_id"]


def test_destroy_by_token_when_the_id_was_never_recorded(cloud, image, token):
    """A create whose result was lost left an instance Contractor has no id for: destroy finds it by token."""
    created = FUNCTIONS["create"](cloud.account(token=token, image_id=image, instance_type="t3.micro"))
    assert FUNCTIONS["destroy"](cloud.account(token=token))["destroyed"] is True
    [instance] = instances(cloud, token)
    assert (instance["InstanceId"], instance["State"]["Name"]) == (created["instance_id"], "terminated")
    assert FUNCTIONS["destroy"](cloud.account(token=token)) == {"destroyed": False}


def test_the_cloud_s_errors_are_clear(cloud, image, token):
    with pytest.raises(
        HandlerError, match=r"EC2 us-east-1 at http://127\.0\.0\.1:\d+: InvalidSubnetID.NotFound"
    ) as caught:
        FUNCTIONS["create"](cloud.account(token=token, image_id=image, instance_type="t3.micro", subnet_id="subnet-0"))
    assert not caught.value.retryable
    assert instances(cloud, token) == []
    with pytest.raises(HandlerError, match="EC2 has no instance i-0123456789abcdef0"):
        FUNCTIONS["describe"](cloud.account(instance_id="i-0123456789abcdef0"))
    assert FUNCTIONS["power_state"](cloud.account(instance_id="i-0123456789abcdef0"))["state"] == "terminated"


def test_parameters_are_checked_before_anything_is_sent(cloud, token):
    with pytest.raises(HandlerError, match="parameter 'region' is required"):
        FUNCTIONS["link_test"]({})
    with pytest.raises(HandlerError, match="parameter 'token' is required"):
        FUNCTIONS["create"](cloud.account(image_id="ami-1", instance_type="t3.micro"))
    with pytest.raises(HandlerError, match="parameter 'tags' must map names to strings; 'rack' is int"):
        FUNCTIONS["create"](cloud.account(token=token, image_id="ami-1", instance_type="t3.micro", tags={"rack": 4}))
    with pytest.raises(HandlerError, match=r"parameter 'instance_id' \(or 'token'\) is required"):
        FUNCTIONS["destroy"](cloud.account())
    assert instances(cloud, token) == []


def test_an_endpoint_that_does_not_answer_is_retryable():
    parameters = {"region": REGION, "endpoint_url": f"http://127.0.0.1:{free_port()}", "access_key_id": "a"}
    with pytest.raises(HandlerError, match="unreachable") as caught:
        FUNCTIONS["link_test"]({**parameters, "secret_access_key": "b"})
    assert caught.value.retryable


def test_link_test_lists_the_zones(cloud):
    result = FUNCTIONS["link_test"](cloud.account())
    assert result["ok"] is True and result["zones"] and all(zone.startswith(REGION) for zone in result["zones"])
