"""The EC2 foundation's TScript functions: each is a remote call to the subcontractor's `aws` module.

Every task carries the account's parameters (region, endpoint, credentials when the account has them) and the
instance id; create carries the foundation's ClientToken and the spec from its merged config. The parameter and
result schemas are those of subcontractor/handlers/aws.py (docs/subcontractor.md).
"""

from django.core.exceptions import ValidationError

from plugins.aws import services
from plugins.aws.spec import instance_spec, waits
from tscript import Remote, ScriptError, result_key


def _script_error(error: ValidationError) -> ScriptError:
    return ScriptError("; ".join(error.messages))


def _target(foundation) -> dict:
    foundation.refresh_from_db(fields=["instance_id"])
    if not foundation.instance_id:
        raise ScriptError(f"{foundation} has no instance yet: call foundation.create() first")
    return {**foundation.account.connection(), "instance_id": foundation.instance_id}


def _destroy_task(foundation) -> dict:
    foundation.refresh_from_db(fields=["instance_id", "client_token"])
    which = {"instance_id": foundation.instance_id} if foundation.instance_id else {"token": foundation.client_token}
    return {**foundation.account.connection(), **which, **waits(foundation)}


def ec2_functions(foundation) -> dict:
    """`create`, `destroy`, `power_on`, `power_off( force=false )`, `power_state`, `refresh` and `link_test`."""

    def record(key):
        def convert(result):
            try:
                services.ec2_instance_record(foundation=foundation, result=result)
            except ValidationError as error:
                raise _script_error(error) from None
            return result.get(key) if key else result

        return convert

    def forget(result):
        services.ec2_instance_forget(foundation=foundation)
        return bool(result.get("destroyed")) if isinstance(result, dict) else bool(result)

    def create_task():
        foundation.refresh_from_db(fields=["client_token"])
        return {**foundation.account.connection(), "token": foundation.client_token, **instance_spec(foundation)}

    def power_off(force=False):
        if not isinstance(force, bool):
            raise ScriptError(f"force must be true or false, not {force!r}")
        return {**_target(foundation), **waits(foundation), "force": force}

    return {
        "create": Remote(task=create_task, function="aws.create", result=record("instance_id")),
        "power_on": Remote(
            task=lambda: {**_target(foundation), **waits(foundation)}, function="aws.power_on", result=record("state")
        ),  # fmt: skip
        "power_off": Remote(task=power_off, function="aws.power_off", result=result_key("state")),
        "power_state": Remote(task=lambda: _target(foundation), function="aws.power_state", result=result_key("state")),
        "refresh": Remote(task=lambda: _target(foundation), function="aws.describe", result=record("state")),
        "destroy": Remote(task=lambda: _destroy_task(foundation), function="aws.destroy", result=forget),
        "link_test": Remote(
            task=lambda: foundation.account.connection(), function="aws.link_test", result=result_key("ok")
        ),  # fmt: skip
    }
