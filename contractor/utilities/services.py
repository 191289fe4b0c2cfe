"""Writes for networks, address blocks, addresses and interfaces: validated, atomic and race-safe."""

import functools
import ipaddress

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError

from contractor.db import in_use_error, validated_save
from contractor.site.models import Site
from contractor.site.selectors import site_tree
from contractor.utilities.checks import site_roots_lock
from contractor.utilities.models import Address, AddressBlock, AggregatedNetworkInterface, Network, RealNetworkInterface
from contractor.utilities.selectors import address_block_next_free

# How often address_allocate re-picks an offset when an unlocked writer took the one it chose.
ALLOCATE_ATTEMPTS = 5

# Stands for "leave the gateway as it is" where None means "no gateway".
UNCHANGED = object()

BLOCK_FIELDS = {"name", "site", "network", "vlan", "subnet", "prefix", "gateway", "classless_reverse"}
ADDRESS_FIELDS = {"offset", "kind", "structure", "interface_name", "alias_index", "is_primary", "reason", "pxe"}


def _apply(instance: models.Model, changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))} of a {type(instance).__name__}")
    for field, value in changes.items():
        setattr(instance, field, value)


# --- networks ---------------------------------------------------------------------------------------------------


@transaction.atomic
def network_create(*, site: Site, name: str, description: str = "", mtu: int = 1500) -> Network:
    """Create a layer-2 network in a site."""
    network = Network(site=site, name=name, description=description, mtu=mtu)
    return validated_save(network)


@transaction.atomic
def network_update(*, network: Network, **changes) -> Network:
    """Change a network's name, site, description or mtu."""
    _apply(network, changes, {"name", "site", "description", "mtu"})
    return validated_save(network)


@transaction.atomic
def network_delete(*, network: Network) -> None:
    """Delete a network; one an address block is on is refused (ProtectedError, a 409 naming the blocks), and
    interfaces on it are left on no network."""
    network.delete()


# --- address blocks ---------------------------------------------------------------------------------------------


def _parse_subnet(subnet: str, prefix: int | None) -> tuple[str, int]:
    """Normalise '10.0.0.0/24', ' 10.0.0.0 ' + 24 or '2001:DB8:0::' + 64 to its canonical network and prefix."""
    text = str(subnet).strip()
    if "/" in text:
        text, _, written = text.partition("/")
        if not written.isdigit() or (prefix is not None and int(written) != prefix):
            raise ValidationError({"prefix": f"The subnet says /{written} but the prefix is {prefix}."})
        prefix = int(written)
    if prefix is None:
        raise ValidationError({"prefix": "Give the prefix length, here or as subnet/prefix."})
    try:
        network = ipaddress.ip_network(f"{text}/{prefix}", strict=True)
    except ValueError as error:
        raise ValidationError({"subnet": str(error)}) from error
    return str(network.network_address), prefix


def _gateway_offset(block: AddressBlock, gateway: str | None) -> int | None:
    """The offset of a gateway address, which must be a usable address of the block."""
    if gateway in (None, ""):
        return None
    try:
        offset = block.offset_of(str(gateway).strip())
    except ValueError as error:
        raise ValidationError({"gateway": str(error)}) from error
    except ValidationError as error:
        raise ValidationError({"gateway": error.messages}) from error
    if block.offset_refusal(offset):
        raise ValidationError({"gateway": block.offset_refusal(offset)})
    return offset


def _check_block_keeps_addresses(block: AddressBlock) -> None:
    """A changed subnet, prefix or gateway must leave every allocated address usable."""
    if block.pk is None:
        return
    addresses = Address.objects.filter(address_block=block)
    stranded = addresses.exclude(offset__range=(block.first_offset, block.last_offset)).first()
    if stranded is not None:
        raise ValidationError({"prefix": f"Address offset {stranded.offset} would fall outside the block."})
    if block.gateway_offset is not None and addresses.filter(offset=block.gateway_offset).exists():
        raise ValidationError({"gateway": f"{block.gateway} is already allocated to an address."})


def _block_save(block: AddressBlock, gateway: str | None | object) -> AddressBlock:
    # Locking the root of the site's tree serialises block writes along its ancestry (the sites the overlap
    # check looks at), so two overlapping blocks in a site and its sub-site cannot both pass the check.
    if block.site_id:
        site_roots_lock(site_tree().ancestors(block.site_id)[-1])
    if gateway is not UNCHANGED:
        block.gateway_offset = _gateway_offset(block, gateway)
    return validated_save(block, _check_block_keeps_addresses)


@transaction.atomic
def address_block_create(
    *,
    site: Site,
    name: str,
    subnet: str,
    prefix: int | None = None,
    network: Network | None = None,
    vlan: int = 0,
    gateway: str | None = None,
    classless_reverse: bool = False,
) -> AddressBlock:
    """Create an address block; `subnet` may carry the prefix ('10.0.0.0/24'), `gateway` is an address in it."""
    subnet, prefix = _parse_subnet(subnet, prefix)
    block = AddressBlock(site=site, name=name, subnet=subnet, prefix=prefix, network=network, vlan=vlan)
    block.classless_reverse = classless_reverse
    return _block_save(block, gateway)


@transaction.atomic
def address_block_update(*, address_block: AddressBlock, **changes) -> AddressBlock:
    """Change a block. Offsets (and the gateway's) stay put: a new subnet renumbers, a new prefix resizes."""
    AddressBlock.objects.select_for_update().filter(pk=address_block.pk).first()
    gateway = changes.pop("gateway", UNCHANGED)
    subnet, prefix = changes.pop("subnet", None), changes.pop("prefix", None)
    _apply(address_block, changes, BLOCK_FIELDS)
    if subnet is not None or prefix is not None:
        if prefix is None and "/" not in str(subnet):
            prefix = address_block.prefix
        address_block.subnet, address_block.prefix = _parse_subnet(subnet or address_block.subnet, prefix)
    return _block_save(address_block, gateway)


@transaction.atomic
def address_block_delete(*, address_block: AddressBlock) -> None:
    """Delete an empty block; one with addresses is refused (IntegrityError, a 409) naming a few of them."""
    try:
        address_block.delete()
    except ProtectedError as error:
        raise in_use_error(address_block, error) from error


# --- addresses --------------------------------------------------------------------------------------------------


def address_offset(*, address_block: AddressBlock, address: str) -> int:
    """The offset of `address` in the block, refusing addresses outside it, reserved by it, or taken."""
    try:
        offset = address_block.offset_of(str(address).strip())
    except ValueError as error:
        raise ValidationError({"address": str(error)}) from error
    except ValidationError as error:
        raise ValidationError({"address": error.messages}) from error
    if address_block.offset_refusal(offset):
        raise ValidationError({"address": address_block.offset_refusal(offset)})
    if offset == address_block.gateway_offset:
        raise ValidationError({"address": f"{address} is the gateway of {address_block}."})
    return offset


def _check_offset_free(address: Address) -> None:
    taken = Address.objects.filter(address_block_id=address.address_block_id, offset=address.offset)
    if taken.exclude(pk=address.pk).exists():
        ip = address.address_block.address_at(address.offset)
        raise ValidationError({"offset": f"{ip} is already allocated in {address.address_block}."})


def _check_structure_slots(address: Address) -> None:
    """One primary address per structure; an interface's main address once per family (one IPv4 and one IPv6:
    dual stack) and each alias number once. Named by field."""
    if not address.structure_id:
        return
    others = Address.objects.filter(structure_id=address.structure_id).exclude(pk=address.pk)
    if address.is_primary and others.filter(is_primary=True).exists():
        raise ValidationError({"is_primary": f"{address.structure} already has a primary address."})
    slot = others.filter(interface_name=address.interface_name, alias_index=address.alias_index)
    if address.alias_index is None:
        version = address.address_block.ip_network.version
        if any(other.address_block.ip_network.version == version for other in slot.select_related("address_block")):
            raise ValidationError(
                {"alias_index": f"{address.interface_name} of {address.structure} already has an IPv{version} "
                                "main address."}
            )  # fmt: skip
    elif slot.exists():
        raise ValidationError(
            {"alias_index": f"{address.interface_name} of {address.structure} already has alias {address.alias_index}."}
        )


def address_slots_check(*, address: Address) -> None:
    """The checks every address write runs beyond the model's own (a free offset, one primary per structure, one
    main address per family and alias per interface), without writing: for a form that shows errors first."""
    if address.address_block_id and address.offset is not None:
        _check_offset_free(address)
        _check_structure_slots(address)


def _next_offset(block: AddressBlock) -> int:
    offset = address_block_next_free(block)
    if offset is None:
        raise ValidationError({"address_block": f"{block} is full: every usable address is allocated."})
    return offset


@transaction.atomic
def address_allocate(
    *,
    address_block: AddressBlock,
    kind: str,
    structure=None,
    interface_name: str = "",
    alias_index: int | None = None,
    is_primary: bool = False,
    reason: str = "",
    pxe=None,
    offset: int | None = None,
) -> Address:
    """Take an address from the block: `offset`, or the lowest free one (skipping the gateway) when None.

    The block row is locked for the transaction, so concurrent allocations from one block queue up; the
    unique (block, offset) constraint stays the backstop against writers that do not lock, with a retry.
    """
    block = AddressBlock.objects.select_for_update().get(pk=address_block.pk)
    address = Address(
        address_block=block,
        kind=kind,
        structure=structure,
        interface_name=interface_name,
        alias_index=alias_index,
        is_primary=is_primary,
        reason=reason,
        pxe=pxe,
    )
    for _ in range(ALLOCATE_ATTEMPTS):
        address.offset = _next_offset(block) if offset is None else offset
        try:
            with transaction.atomic():
                # _check_offset_free stands for the (block, offset) constraint, with a message naming the field.
                return validated_save(
                    address, _check_offset_free, _check_structure_slots, exclude_constraints={"offset"}
                )
        except IntegrityError:
            # Retry only when a writer that did not lock the block took this offset first.
            if offset is not None or not Address.objects.filter(address_block=block, offset=address.offset).exists():
                raise
    raise ValidationError({"address_block": f"Could not allocate from {block}: it is too busy, try again."})


@transaction.atomic
def address_update(*, address: Address, **changes) -> Address:
    """Change an address: move it in its block (`offset`) or change what it is for."""
    _apply(address, changes, ADDRESS_FIELDS)
    AddressBlock.objects.select_for_update().filter(pk=address.address_block_id).first()
    return validated_save(address, _check_offset_free, _check_structure_slots)


@transaction.atomic
def address_release(*, address: Address) -> None:
    """Give an address back to its block."""
    address.delete()


# --- interfaces -------------------------------------------------------------------------------------------------


def _check_interface_unique(interface: RealNetworkInterface) -> None:
    others = RealNetworkInterface.objects.exclude(pk=interface.pk)
    if interface.mac and others.filter(mac=interface.mac).exists():
        raise ValidationError({"mac": f"{interface.mac} is already the MAC of another interface."})
    siblings = others.filter(foundation_id=interface.foundation_id)
    if interface.is_provisioning and siblings.filter(is_provisioning=True).exists():
        raise ValidationError({"is_provisioning": f"{interface.foundation} already has a provisioning interface."})
    if siblings.filter(name=interface.name).exists():
        raise ValidationError({"name": f"{interface.foundation} already has an interface {interface.name}."})


INTERFACE_FIELDS = {"foundation", "name", "mac", "physical_location", "is_provisioning", "network", "pxe"}


@transaction.atomic
def interface_create(*, foundation, name: str, **fields) -> RealNetworkInterface:
    """Add a real network interface to a foundation."""
    interface = RealNetworkInterface(foundation=foundation, name=name)
    _apply(interface, fields, INTERFACE_FIELDS)
    return validated_save(interface, _check_interface_unique)


@transaction.atomic
def interface_update(*, interface: RealNetworkInterface, **changes) -> RealNetworkInterface:
    """Change a real network interface (its MAC once known, its network, PXE...)."""
    _apply(interface, changes, INTERFACE_FIELDS)
    return validated_save(interface, _check_interface_unique)


@transaction.atomic
def interface_delete(*, interface: RealNetworkInterface) -> None:
    """Delete a real network interface; an aggregate whose primary it is goes with it, others lose a member."""
    interface.delete()


def _check_members(aggregate: AggregatedNetworkInterface, members) -> None:
    strangers = [member for member in members if member.foundation_id != aggregate.structure.foundation_id]
    if strangers:
        names = ", ".join(str(member) for member in strangers)
        raise ValidationError({"members": f"Not on the structure's foundation: {names}."})


AGGREGATE_FIELDS = {"structure", "name", "primary", "mode", "parameters"}


def _aggregate_save(aggregate: AggregatedNetworkInterface, members) -> AggregatedNetworkInterface:
    validated_save(aggregate, *([] if members is None else [functools.partial(_check_members, members=members)]))
    if members is not None:
        aggregate.members.set(members)
    return aggregate


@transaction.atomic
def aggregated_interface_create(*, structure, name: str, primary, members=(), **fields) -> AggregatedNetworkInterface:
    """Make a bond (or similar) on a structure from its foundation's real interfaces."""
    aggregate = AggregatedNetworkInterface(structure=structure, name=name, primary=primary)
    _apply(aggregate, fields, AGGREGATE_FIELDS)
    return _aggregate_save(aggregate, list(members))


@transaction.atomic
def aggregated_interface_update(
    *, aggregated_interface: AggregatedNetworkInterface, members=None, **changes
) -> AggregatedNetworkInterface:
    """Change an aggregated interface; `members`, when given, replaces the member list."""
    _apply(aggregated_interface, changes, AGGREGATE_FIELDS)
    if members is None and "structure" in changes:
        members = list(aggregated_interface.members.all())
    return _aggregate_save(aggregated_interface, None if members is None else list(members))


@transaction.atomic
def aggregated_interface_delete(*, aggregated_interface: AggregatedNetworkInterface) -> None:
    """Delete an aggregated interface; its member interfaces stay on the foundation."""
    aggregated_interface.delete()
