"""Reads for DNS: zones, and the flat rows zone files are generated from (values(), no model objects)."""

from django.db.models import QuerySet
from django.db.models.functions import Lower

from contractor.building.models import Structure
from contractor.dns.models import Zone, ZoneFile
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock


def zone_list() -> QuerySet[Zone]:
    """Every zone with the names of the sites pointing at it, in a fixed number of queries."""
    return Zone.objects.prefetch_related("sites")


def zone_structure_rows(zone_ids: list[int] | None = None):
    """(zone id, structure id, hostname, foundation locator) of every structure in a site with a zone."""
    rows = Structure.objects.filter(site__zone__isnull=False)
    if zone_ids is not None:
        rows = rows.filter(site__zone_id__in=zone_ids)
    return rows.values_list("site__zone_id", "id", "hostname", "foundation__locator").order_by().iterator(5000)


def zone_address_rows(zone_ids: list[int] | None = None):
    """(structure id, interface, alias index, is primary, block id, offset) of every static address in a zone."""
    rows = Address.objects.filter(kind=AddressKind.STATIC, structure__site__zone__isnull=False)
    if zone_ids is not None:
        rows = rows.filter(structure__site__zone_id__in=zone_ids)
    fields = ("structure_id", "interface_name", "alias_index", "is_primary", "address_block_id", "offset")
    return rows.values_list(*fields).order_by().iterator(5000)


def zone_block_rows() -> list[tuple]:
    """(block id, subnet, prefix, vlan, zone id of its site or None) of every address block."""
    return list(AddressBlock.objects.values_list("id", "subnet", "prefix", "vlan", "site__zone_id").order_by())


def zone_file_states(*, lock: bool = False) -> dict[str, ZoneFile]:
    """The stored hash and serial of every zone file generated before, by origin; `lock` holds the rows."""
    states = ZoneFile.objects.select_for_update() if lock else ZoneFile.objects.all()
    return {state.origin: state for state in states}


def zone_hostname_clashes(*, site_id: int, zone_id: int) -> list[str]:
    """Hostnames of `site_id` already used (ignoring case) by structures of other sites in zone `zone_id`."""
    mine = Structure.objects.filter(site_id=site_id).annotate(lower=Lower("hostname")).values("lower")
    others = Structure.objects.filter(site__zone_id=zone_id).exclude(site_id=site_id).annotate(lower=Lower("hostname"))
    return sorted(set(others.filter(lower__in=mine).values_list("hostname", flat=True)))
