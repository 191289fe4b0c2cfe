"""Reads for DNS: zones, and the flat rows zone files are generated from (values(), no model objects)."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from contractor.building.models import Structure
from contractor.dns.models import Zone, ZoneFile
from contractor.site.selectors import site_tree
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock


def zone_list() -> QuerySet[Zone]:
    """Every zone with the names of the sites pointing at it, in a fixed number of queries."""
    return Zone.objects.prefetch_related("sites")


def zone_site_ids(zone_ids: list[int] | None = None) -> dict[int, int]:
    """Site id -> zone id of every site whose structures land in a zone (of `zone_ids`): its own or an ancestor's."""
    sites = site_tree().zone_sites()
    return sites if zone_ids is None else {site: zone for site, zone in sites.items() if zone in zone_ids}


def zone_structure_rows(sites: dict[int, int], structure_ids=None):
    """(site id, zone id, structure id, hostname, foundation locator) of every structure in `sites` (site id ->
    zone id), or of those of `structure_ids` that are in them."""
    rows = Structure.objects.filter(site_id__in=sites)
    if structure_ids is not None:
        rows = rows.filter(id__in=structure_ids)
    rows = rows.values_list("site_id", "id", "hostname", "foundation__locator")
    return ((site, sites[site], *rest) for site, *rest in rows.order_by().iterator(5000))


def zone_address_rows(sites: dict[int, int], structure_ids=None):
    """(structure id, interface, alias index, is primary, block id, offset) of every static address in `sites`,
    or of the structures `structure_ids`."""
    rows = Address.objects.filter(kind=AddressKind.STATIC, structure__site_id__in=sites)
    if structure_ids is not None:
        rows = rows.filter(structure_id__in=structure_ids)
    fields = ("structure_id", "interface_name", "alias_index", "is_primary", "address_block_id", "offset")
    return rows.values_list(*fields).order_by().iterator(5000)


def zone_block_rows(sites: dict[int, int]) -> list[tuple]:
    """(block id, subnet, prefix, vlan, classless reverse, zone id of its site or None) of every address block."""
    rows = AddressBlock.objects.values_list("id", "subnet", "prefix", "vlan", "classless_reverse", "site_id").order_by()
    return [(*row, sites.get(site)) for *row, site in rows]


def zone_structures_of(*, sites=(), foundations=()) -> list[int]:
    """The ids of the structures in `sites` or on `foundations`."""
    rows = Structure.objects.filter(Q(site_id__in=sites) | Q(foundation_id__in=foundations))
    return list(rows.values_list("id", flat=True).order_by())


def zone_file_states(*, lock: bool = False, origins=None) -> dict[str, ZoneFile]:
    """The stored hash and serial of every zone file generated before (of `origins`), by origin; `lock` holds
    the rows."""
    states = ZoneFile.objects.select_for_update() if lock else ZoneFile.objects.all()
    if origins is not None:
        states = states.filter(origin__in=origins)
    return {state.origin: state for state in states}


def zone_hostname_clashes(*, site_id: int, parent_id: int | None, zone_id: int | None):
    """(zone name, hostnames) when moving site `site_id` under `parent_id` with zone `zone_id` would put two
    structures of one hostname (ignoring case) in one zone; None when it would not, or nothing moves."""
    before = site_tree()
    if before.parents.get(site_id) == parent_id and before.zones.get(site_id) == zone_id:
        return None
    after = before.changed(site_id, parent=parent_id, zone=zone_id)
    moved = {site: after.zone_of(site) for site in after.descendants(site_id)}
    zones = {zone for site, zone in moved.items() if zone is not None and zone != before.zone_of(site)}
    sites = {site: zone for site, zone in after.zone_sites().items() if zone in zones}
    rows = Structure.objects.filter(site_id__in=sites).annotate(lower=Lower("hostname"))
    seen, clashes = {}, {}
    for pk, site, lower, hostname in rows.values_list("pk", "site_id", "lower", "hostname").order_by("pk"):
        first = seen.setdefault((sites[site], lower), (pk, site, hostname))
        if first[0] != pk and (site in moved or first[1] in moved):
            # Name the hostname as it is written outside the moved sites: that is the one already in use.
            taken = hostname if site not in moved else first[2]
            clashes.setdefault(sites[site], set()).add(taken)
    if not clashes:
        return None
    zone, hostnames = min(clashes.items())
    return Zone.objects.get(pk=zone).name, sorted(hostnames)
