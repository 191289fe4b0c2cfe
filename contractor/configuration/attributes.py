"""The underscore attributes (`_hostname`, `_interface_map`...) a foundation or structure adds to its config."""

from contractor.building.models import Foundation, Structure
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, RealNetworkInterface

# Rendered once every layer is merged, so the structure's own (or any later) domain_name counts.
FQDN_SUFFIX = "{% if domain_name %}.{{ domain_name }}{% endif %}"


def foundation_interfaces(foundation: Foundation) -> list[RealNetworkInterface]:
    """The foundation's real interfaces by name, with their networks, in one query."""
    return list(RealNetworkInterface.objects.filter(foundation_id=foundation.pk).select_related("network"))


def foundation_attributes(foundation: Foundation, interfaces: list[RealNetworkInterface]) -> dict:
    """`_foundation_*` values, the provisioning interface, and whatever the foundation's plugin adds."""
    provisioning = next((interface for interface in interfaces if interface.is_provisioning), None)
    values = {
        "_foundation_id": foundation.pk,
        "_foundation_locator": foundation.locator,
        "_foundation_type": foundation.type,
        "_foundation_state": foundation.state,
        "_foundation_class_list": list(foundation.class_list),
        "_foundation_id_map": foundation.id_map,
        "_foundation_interface_list": [interface.name for interface in interfaces],
        "_provisioning_interface": provisioning.name if provisioning else None,
        "_provisioning_interface_mac": (provisioning.mac or None) if provisioning else None,
        "_site": foundation.site.name,
        "_foundation_blueprint": foundation.blueprint.name,
    }
    values.update(foundation.subclass.attributes())
    return values


def structure_attributes(structure: Structure, interfaces: list[RealNetworkInterface]) -> dict:
    """`_hostname`, `_fqdn`, `_interface_map`, `_primary_address` and the structure's identity."""
    addresses = _static_addresses(structure)
    primary = next((address for address in addresses if address.is_primary), None)
    return {
        "_structure_id": structure.pk,
        "_hostname": structure.hostname,
        "_fqdn": structure.hostname + FQDN_SUFFIX,
        "_structure_config_uuid": str(structure.config_uuid),
        "_structure_state": structure.state,
        "_structure_blueprint": structure.blueprint.name,
        "_site": structure.site.name,
        "_interface_map": interface_map(structure, interfaces, addresses),
        "_primary_address": primary.ip_address if primary else None,
    }


def interface_map(structure: Structure, interfaces: list[RealNetworkInterface], addresses: list[Address]) -> dict:
    """Interface name -> mac, addressing, network and aliases, for real, aggregated and address-only names."""
    entries = {interface.name: _real_entry(interface) for interface in interfaces}
    for aggregate in structure.aggregated_interfaces.select_related("primary__network").prefetch_related("members"):
        entries[aggregate.name] = _aggregate_entry(aggregate)
    for address in addresses:
        entry = entries.setdefault(address.interface_name, _blank_entry(None, None, False))
        details = _address_details(address, entry)
        if address.alias_index is None:
            entry.update(details)
        else:
            entry["aliases"].append(details)
    return entries


def _static_addresses(structure: Structure) -> list[Address]:
    addresses = Address.objects.filter(structure_id=structure.pk, kind=AddressKind.STATIC).select_related(
        "address_block__network"
    )
    # Sorted here: databases disagree on where NULL alias indexes sort.
    return sorted(addresses, key=lambda address: (address.interface_name, address.alias_index or 0))


def _blank_entry(mac: str | None, network, is_provisioning: bool) -> dict:
    return {
        "mac": mac or None,
        "address": None,
        "netmask": None,
        "prefix": None,
        "gateway": None,
        "network": network.name if network else None,
        "vlan": None,
        "mtu": network.mtu if network else None,
        "is_provisioning": is_provisioning,
        "aliases": [],
    }


def _real_entry(interface: RealNetworkInterface) -> dict:
    return _blank_entry(interface.mac, interface.network, interface.is_provisioning)


def _aggregate_entry(aggregate) -> dict:
    entry = _blank_entry(aggregate.primary.mac, aggregate.primary.network, False)
    entry["primary"] = aggregate.primary.name
    entry["members"] = sorted(member.name for member in aggregate.members.all())
    entry["mode"] = aggregate.mode
    entry["parameters"] = aggregate.parameters
    return entry


def _address_details(address: Address, entry: dict) -> dict:
    block = address.address_block
    network = block.network
    return {
        "address": address.ip_address,
        "netmask": block.netmask,
        "prefix": block.prefix,
        "gateway": block.gateway,
        "network": network.name if network else entry["network"],
        "vlan": block.vlan,
        "mtu": network.mtu if network else entry["mtu"],
    }
