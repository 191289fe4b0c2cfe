"""The ``aws`` task module: EC2 instances (run, start, stop, describe, terminate) through boto3.

Every function takes the account parameters ``region`` (required), ``endpoint_url`` (optional: another
EC2 endpoint, such as a private one or a test server), and ``access_key_id`` / ``secret_access_key`` /
``session_token`` (optional: without them boto3's own chain is used: environment, config files, an
instance profile).

``create`` is idempotent by its ``token``: the instance is tagged ``contractor:token`` when it is run (in
the same request) and passed as EC2's ``ClientToken``, so a create that is run again after a lost result
finds the instance it made instead of running a second one.
"""

import time
from contextlib import contextmanager

from subcontractor.handlers import HandlerError, require

__all__ = ["FUNCTIONS", "TOKEN_TAG"]

TOKEN_TAG = "contractor:token"
# EC2 instance states -> Contractor's power words.
POWER_STATES = {
    "pending": "powering on",
    "running": "on",
    "stopping": "powering off",
    "stopped": "off",
    "shutting-down": "terminating",
    "terminated": "terminated",
}
# Error codes that a later try may not meet (throttling, capacity, a passing fault on AWS's side).
RETRYABLE_CODES = {
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "InsufficientInstanceCapacity",
    "InsufficientCapacity",
    "ServiceUnavailable",
    "Unavailable",
    "InternalError",
    "IncorrectInstanceState",
}
CREDENTIAL_CODES = {"AuthFailure", "UnauthorizedOperation", "InvalidClientTokenId", "SignatureDoesNotMatch"}
DEFAULT_WAIT = 300


@contextmanager
def _ec2(parameters: dict):
    """An EC2 client for the account the parameters name; AWS failures become HandlerErrors."""
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError as error:
        raise HandlerError("the aws module needs boto3: pip install 'contractor[aws]'") from error

    region = require(parameters, "region", str)
    endpoint_url = require(parameters, "endpoint_url", str, None)
    credentials = {
        "aws_access_key_id": require(parameters, "access_key_id", str, None),
        "aws_secret_access_key": require(parameters, "secret_access_key", str, None),
        "aws_session_token": require(parameters, "session_token", str, None),
    }
    where = f"EC2 {region}" + (f" at {endpoint_url}" if endpoint_url else "")
    # Few retries inside boto3: a task should fail soon and be retried by the foreman, not hang.
    config = botocore.config.Config(
        retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60
    )
    try:
        client = boto3.client("ec2", region_name=region, endpoint_url=endpoint_url, config=config, **credentials)
        yield client
    except botocore.exceptions.ClientError as error:
        raise _client_error(where, error) from error
    except botocore.exceptions.NoCredentialsError as error:
        raise HandlerError(f"{where}: no credentials (set access_key_id and secret_access_key)") from error
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as error:
        raise HandlerError(f"{where} unreachable: {error}", retryable=True) from error
    except botocore.exceptions.BotoCoreError as error:
        raise HandlerError(f"{where}: {error}", retryable=True) from error


def _client_error(where: str, error) -> HandlerError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    if code in CREDENTIAL_CODES:
        return HandlerError(f"{where} refused the credentials: {code}: {message}")
    return HandlerError(f"{where}: {code}: {message}", retryable=code in RETRYABLE_CODES)


def _instance(client, instance_id: str) -> dict | None:
    """The instance as EC2 describes it, or None when EC2 does not know it (any more)."""
    import botocore.exceptions

    try:
        reservations = client.describe_instances(InstanceIds=[instance_id])["Reservations"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "InvalidInstanceID.NotFound":
            return None
        raise
    instances = [instance for reservation in reservations for instance in reservation["Instances"]]
    return instances[0] if instances else None


def _existing(client, instance_id: str) -> dict:
    """The instance; an error when EC2 does not know it."""
    instance = _instance(client, instance_id)
    if instance is None:
        raise HandlerError(f"EC2 has no instance {instance_id}")
    return instance


def _by_token(client, token: str) -> dict | None:
    """The live (not terminated) instance an earlier create with this token ran, if any."""
    pages = client.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": f"tag:{TOKEN_TAG}", "Values": [token]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )
    found = [
        instance for page in pages for reservation in page["Reservations"] for instance in reservation["Instances"]
    ]
    return min(found, key=lambda instance: instance["LaunchTime"]) if found else None


def _wait_for(client, instance_id: str, states: set[str], parameters: dict) -> dict:
    """Poll the instance until it is in one of the states, for at most ``wait`` seconds (0: do not wait)."""
    wait = require(parameters, "wait", (int, float), DEFAULT_WAIT)
    interval = max(0.2, require(parameters, "poll_interval", (int, float), 5))
    deadline = time.monotonic() + wait
    while True:
        instance = _instance(client, instance_id)
        if instance is None:
            raise HandlerError(f"instance {instance_id} is gone")
        state = instance["State"]["Name"]
        if state in states or wait <= 0:
            return instance
        if time.monotonic() >= deadline:
            wanted = " or ".join(sorted(states))
            raise HandlerError(
                f"instance {instance_id} is still {state} after {wait:g} s (waiting for {wanted})", retryable=True
            )
        time.sleep(interval)


def _describe(instance: dict) -> dict:
    """What Contractor records of an instance: its id, state, addresses and interfaces (eth0 first)."""
    interfaces = sorted(
        instance.get("NetworkInterfaces", []), key=lambda nic: nic.get("Attachment", {}).get("DeviceIndex", 0)
    )
    return {
        "instance_id": instance["InstanceId"],
        "state": POWER_STATES.get(instance["State"]["Name"], "unknown"),
        "ec2_state": instance["State"]["Name"],
        "instance_type": instance.get("InstanceType"),
        "image_id": instance.get("ImageId"),
        "private_address": instance.get("PrivateIpAddress"),
        "public_address": instance.get("PublicIpAddress"),
        "private_dns": instance.get("PrivateDnsName") or None,
        "public_dns": instance.get("PublicDnsName") or None,
        "interfaces": [
            {
                "name": f"eth{nic.get('Attachment', {}).get('DeviceIndex', index)}",
                "mac": (nic.get("MacAddress") or "").lower() or None,
                "private_address": nic.get("PrivateIpAddress"),
                "public_address": nic.get("Association", {}).get("PublicIp"),
                "subnet_id": nic.get("SubnetId"),
            }
            for index, nic in enumerate(interfaces)
        ],
    }


def _run_request(parameters: dict, token: str) -> dict:
    """run_instances' arguments from the task's parameters, each checked."""
    tags = require(parameters, "tags", dict, {})
    for key, value in tags.items():
        if not isinstance(value, str):
            raise HandlerError(f"parameter 'tags' must map names to strings; '{key}' is {type(value).__name__}")
    groups = require(parameters, "security_group_ids", list, [])
    if not all(isinstance(group, str) for group in groups):
        raise HandlerError("parameter 'security_group_ids' must be a list of strings")
    request = {
        "ImageId": require(parameters, "image_id", str),
        "InstanceType": require(parameters, "instance_type", str),
        "MinCount": 1,
        "MaxCount": 1,
        "ClientToken": token,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": key, "Value": value} for key, value in {**tags, TOKEN_TAG: token}.items()],
            }
        ],
    }
    optional = {"SubnetId": "subnet_id", "KeyName": "key_name", "UserData": "user_data"}
    for field, name in optional.items():
        value = require(parameters, name, str, None)
        if value:
            request[field] = value
    if groups:
        request["SecurityGroupIds"] = groups
    return request


def create(parameters: dict) -> dict:
    """Run one instance (or find the one an earlier create with the same token ran) and wait until it runs.

    Parameters: account ones; ``token`` (str, required: Contractor's idempotency key for this foundation),
    ``image_id`` and ``instance_type`` (required), ``subnet_id``, ``security_group_ids`` (list), ``key_name``,
    ``tags`` (object of strings), ``user_data`` (str), ``wait`` (seconds to wait for ``running``, default 300;
    0 returns at once) and ``poll_interval`` (seconds, default 5).
    Result: ``describe``'s, plus ``created`` (false when the instance existed already).
    """
    token = require(parameters, "token", str)
    if not 1 <= len(token) <= 64:
        raise HandlerError("parameter 'token' must be 1 to 64 characters (EC2's ClientToken limit)")
    request = _run_request(parameters, token)
    with _ec2(parameters) as client:
        existing = _by_token(client, token)
        if existing is None:
            ran = client.run_instances(**request)["Instances"][0]
            instance_id = ran["InstanceId"]
            if ran["State"]["Name"] in ("shutting-down", "terminated"):
                # EC2 answers a used ClientToken with the instance it ran then, even a terminated one.
                raise HandlerError(
                    f"token '{token}' was used for instance {instance_id}, now terminated: use a new token"
                )
        else:
            instance_id = existing["InstanceId"]
        instance = _wait_for(client, instance_id, {"running"}, parameters)
        return {**_describe(instance), "created": existing is None}


def describe(parameters: dict) -> dict:
    """The instance's id, state (Contractor's power word, as ``power_state``), EC2's state name, type, image,
    addresses, DNS names and interfaces.

    Parameters: account ones and ``instance_id`` (str, required). An unknown instance is an error.
    """
    instance_id = require(parameters, "instance_id", str)
    with _ec2(parameters) as client:
        instance = _existing(client, instance_id)
        return _describe(instance)


def power_on(parameters: dict) -> dict:
    """Start a stopped instance and wait until it runs (``wait``, ``poll_interval`` as for create).
    Result: ``describe``'s, with ``"state": "on"`` (a restarted instance may have new addresses)."""
    instance_id = require(parameters, "instance_id", str)
    with _ec2(parameters) as client:
        instance = _existing(client, instance_id)
        if instance["State"]["Name"] != "running":
            client.start_instances(InstanceIds=[instance_id])
        instance = _wait_for(client, instance_id, {"running"}, parameters)
        return _describe(instance)


def power_off(parameters: dict) -> dict:
    """Stop the instance (``force``: true skips the OS shutdown) and wait until it is stopped.
    Result: ``describe``'s, with ``"state": "off"``."""
    instance_id = require(parameters, "instance_id", str)
    force = require(parameters, "force", bool, False)
    with _ec2(parameters) as client:
        instance = _existing(client, instance_id)
        if instance["State"]["Name"] not in ("stopped", "stopping"):
            client.stop_instances(InstanceIds=[instance_id], Force=force)
        instance = _wait_for(client, instance_id, {"stopped"}, parameters)
        return _describe(instance)


def power_state(parameters: dict) -> dict:
    """Read the instance's state. Result: ``{"state": "on" | "off" | "powering on" | "powering off" |
    "terminating" | "terminated", "ec2_state": <EC2's name>}``; an instance EC2 no longer knows is "terminated"."""
    instance_id = require(parameters, "instance_id", str)
    with _ec2(parameters) as client:
        instance = _instance(client, instance_id)
        if instance is None:
            return {"state": "terminated", "ec2_state": None}
        return {"state": POWER_STATES.get(instance["State"]["Name"], "unknown"), "ec2_state": instance["State"]["Name"]}


def destroy(parameters: dict) -> dict:
    """Terminate the instance and wait until EC2 says terminated.

    Parameters: account ones and ``instance_id`` or ``token`` (the create's: finds the instance when its id
    was never recorded), ``wait``, ``poll_interval``. Result: ``{"destroyed": true}``, or ``{"destroyed":
    false}`` when there was nothing to terminate (already terminated or unknown).
    """
    instance_id = require(parameters, "instance_id", str, None)
    token = require(parameters, "token", str, None)
    if not instance_id and not token:
        raise HandlerError("parameter 'instance_id' (or 'token') is required")
    with _ec2(parameters) as client:
        if not instance_id:
            found = _by_token(client, token)
            if found is None:
                return {"destroyed": False}
            instance_id = found["InstanceId"]
        instance = _instance(client, instance_id)
        if instance is None or instance["State"]["Name"] == "terminated":
            return {"destroyed": False}
        client.terminate_instances(InstanceIds=[instance_id])
        _wait_for(client, instance_id, {"terminated"}, parameters)
        return {"destroyed": True, "instance_id": instance_id}


def link_test(parameters: dict) -> dict:
    """Check that the endpoint answers and accepts the credentials.
    Result: ``{"ok": true, "zones": [availability zone names]}``."""
    with _ec2(parameters) as client:
        zones = client.describe_availability_zones()["AvailabilityZones"]
        return {"ok": True, "zones": sorted(zone["ZoneName"] for zone in zones)}


FUNCTIONS = {
    "create": create,
    "describe": describe,
    "power_on": power_on,
    "power_off": power_off,
    "power_state": power_state,
    "destroy": destroy,
    "link_test": link_test,
}
