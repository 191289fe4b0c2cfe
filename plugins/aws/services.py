"""Writes of the aws plugin: accounts, recording what EC2 answered (interfaces, addresses) and forgetting it."""

from django.core.exceptions import ValidationError
from django.db import transaction

from contractor.building import services as building
from contractor.db import validated_save
from contractor.utilities import services as utilities
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, RealNetworkInterface
from plugins.aws.models import AWSAccount, EC2Foundation, new_token
from plugins.aws.selectors import covering_block

ACCOUNT_FIELDS = ("region", "endpoint_url", "access_key_id", "secret_access_key", "session_token", "default_vpc",
                  "default_subnet", "default_security_groups")  # fmt: skip


@transaction.atomic
def aws_account_create(*, name: str, site, region: str, **fields) -> AWSAccount:
    """Create an AWS account complex (`fields`: the account's own, and description)."""
    return building.complex_create(name=name, site=site, model=AWSAccount, region=region, **fields)


@transaction.atomic
def aws_account_update(*, account: AWSAccount, **fields) -> AWSAccount:
    """Change an account; credentials left out stay as they are."""
    return building.complex_update(complex_=account, **fields)


def _interfaces(foundation: EC2Foundation, reported: list) -> list[dict]:
    rows = []
    for nic in reported:
        if not isinstance(nic, dict) or not isinstance(nic.get("name"), str):
            raise ValidationError({"interfaces": f"aws answered a malformed interface: {nic!r}"})
        interface, _ = RealNetworkInterface.objects.get_or_create(foundation=foundation, name=nic["name"])
        interface.mac = (nic.get("mac") or "").lower()
        interface.is_provisioning = False
        validated_save(interface)
        rows.append({key: nic.get(key) for key in ("name", "mac", "private_address", "public_address", "subnet_id")})
    return rows


def _wanted_addresses(rows: list[dict]) -> list[tuple[str, str, bool]]:
    """(interface name, address, primary candidate) of every private and public address EC2 reported."""
    wanted = []
    for position, row in enumerate(rows):
        if row.get("private_address"):
            wanted.append((row["name"], row["private_address"], position == 0))
        if row.get("public_address"):
            wanted.append((f"{row['name']}-public", row["public_address"], False))
    return wanted


def _record_addresses(foundation: EC2Foundation, rows: list[dict], before: list[dict]) -> list[dict]:
    """The addresses EC2 chose, as static addresses of the structure on the foundation, in the blocks of its site
    (or a site above) that hold them; the ones recorded before are given back first. Returns what was recorded."""
    Address.objects.filter(pk__in=[item.get("id") for item in before if item.get("id")]).delete()
    structure = getattr(foundation, "structure", None)
    recorded = []
    for interface_name, ip, primary in _wanted_addresses(rows):
        item = {"interface": interface_name, "address": ip, "id": None}
        block = covering_block(structure.site_id, ip) if structure is not None else None
        if block is not None:
            item["id"] = _allocate(structure, block, interface_name, ip, primary)
        recorded.append(item)
    return recorded


def _allocate(structure, block, interface_name: str, ip: str, primary: bool) -> int | None:
    try:
        with transaction.atomic():
            offset = utilities.address_offset(address_block=block, address=ip)
            has_primary = Address.objects.filter(structure=structure, is_primary=True).exists()
            address = utilities.address_allocate(
                address_block=block, kind=AddressKind.STATIC, structure=structure, interface_name=interface_name,
                offset=offset, is_primary=primary and not has_primary,
            )  # fmt: skip
            return address.pk
    except ValidationError:
        return None  # taken (an operator's address, another structure's): the id_map still holds it


@transaction.atomic
def ec2_instance_record(*, foundation: EC2Foundation, result: dict) -> EC2Foundation:
    """What an `aws` create, start or describe answered: the instance id, its NICs (MACs) as the foundation's
    interfaces, its private and public addresses as its structure's addresses, and the rest in id_map."""
    foundation = EC2Foundation.objects.select_for_update().get(pk=foundation.pk)
    instance_id = result.get("instance_id") if isinstance(result, dict) else None
    if not isinstance(instance_id, str) or not instance_id:
        raise ValidationError({"instance_id": f"aws answered no instance id: {result!r}"})
    if foundation.instance_id and foundation.instance_id != instance_id:
        raise ValidationError({"instance_id": f"aws answered for {instance_id}, not {foundation.instance_id}."})
    rows = _interfaces(foundation, result.get("interfaces") or [])
    before = (foundation.id_map or {}).get("addresses", [])
    keys = ("instance_id", "ec2_state", "instance_type", "image_id", "private_address", "public_address",
            "private_dns", "public_dns")  # fmt: skip
    foundation.instance_id = instance_id
    foundation.id_map = {**{key: result.get(key) for key in keys}, "interfaces": rows,
                         "addresses": _record_addresses(foundation, rows, before)}  # fmt: skip
    foundation.save(update_fields=["instance_id", "id_map", "updated"])
    return foundation


@transaction.atomic
def ec2_instance_forget(*, foundation: EC2Foundation) -> EC2Foundation:
    """The instance is terminated: its addresses go back, its MACs are cleared, and the next create gets a new
    ClientToken (EC2 answers a spent one with the terminated instance)."""
    foundation = EC2Foundation.objects.select_for_update().get(pk=foundation.pk)
    found = foundation.id_map or {}
    Address.objects.filter(pk__in=[item.get("id") for item in found.get("addresses", []) if item.get("id")]).delete()
    names = [row.get("name") for row in found.get("interfaces", [])]
    foundation.interfaces.filter(name__in=names).update(mac="")
    foundation.id_map = {"terminated_instance_id": foundation.instance_id} if foundation.instance_id else {}
    foundation.instance_id, foundation.client_token = "", new_token()
    foundation.save(update_fields=["instance_id", "client_token", "id_map", "updated"])
    return foundation
