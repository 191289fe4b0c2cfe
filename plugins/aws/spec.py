"""An EC2 instance's spec from its foundation's merged config and its account's defaults (docs/plugins.md)."""

from contractor.configuration import merged_config
from plugins.aws.models import SECURITY_GROUP_ID, SUBNET_ID
from tscript import ParameterError

DEFAULT_INSTANCE_TYPE = "t3.micro"
DEFAULT_WAIT = 240  # seconds; under the default task lease (300 s), so a slow start is retried, not handed out twice
DEFAULT_POLL_INTERVAL = 5
TAG_LOCATOR = "contractor:locator"


def _text(config: dict, key: str, default: str = "", *, required: bool = False) -> str:
    value = config.get(key, default)
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value):
        wanted = "a non-empty string" if required else "a string"
        raise ParameterError(f"config value {key} must be {wanted}, not {value!r}")
    return value


def _seconds(config: dict, key: str, default: float, least: float) -> float:
    value = config.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < least:
        raise ParameterError(f"config value {key} must be a number of seconds of at least {least:g}, not {value!r}")
    return value


def _tags(foundation, config: dict) -> dict:
    tags = config.get("ec2_tags", {})
    if not isinstance(tags, dict) or not all(isinstance(value, str) for value in tags.values()):
        raise ParameterError(f"config value ec2_tags must map tag names to strings, not {tags!r}")
    return {"Name": foundation.locator, **tags, TAG_LOCATOR: foundation.locator}


def _security_groups(config: dict, account) -> list[str]:
    groups = config.get("ec2_security_group_ids", account.default_security_groups)
    if not isinstance(groups, list) or not all(isinstance(g, str) and SECURITY_GROUP_ID.match(g) for g in groups):
        raise ParameterError(f"config value ec2_security_group_ids must be a list of sg- ids, not {groups!r}")
    return groups


def instance_spec(foundation) -> dict:
    """What `aws.create` takes besides the account and the token: image, type, subnet, security groups, key pair,
    tags, user data and how long to wait, from the merged config; a bad value is a script error naming it."""
    config = merged_config(foundation, reveal_secrets=True)
    account = foundation.account
    subnet = _text(config, "ec2_subnet_id", account.default_subnet)
    if subnet and not SUBNET_ID.match(subnet):
        raise ParameterError(f"config value ec2_subnet_id must be a subnet- id, not {subnet!r}")
    spec = {
        "image_id": _text(config, "ec2_image_id", required=True),
        "instance_type": _text(config, "ec2_instance_type", DEFAULT_INSTANCE_TYPE, required=True),
        "tags": _tags(foundation, config),
        "wait": _seconds(config, "ec2_wait", DEFAULT_WAIT, 0),
        "poll_interval": _seconds(config, "ec2_poll_interval", DEFAULT_POLL_INTERVAL, 0.2),
    }
    optional = {
        "subnet_id": subnet,
        "security_group_ids": _security_groups(config, account),
        "key_name": _text(config, "ec2_key_name"),
        "user_data": _text(config, "ec2_user_data"),
    }
    return {**spec, **{key: value for key, value in optional.items() if value}}


def waits(foundation) -> dict:
    """`wait` and `poll_interval` for the tasks that wait for a state (start, stop, terminate)."""
    config = merged_config(foundation, reveal_secrets=False)
    return {
        "wait": _seconds(config, "ec2_wait", DEFAULT_WAIT, 0),
        "poll_interval": _seconds(config, "ec2_poll_interval", DEFAULT_POLL_INTERVAL, 0.2),
    }
