"""Every zone file's content in memory (ZoneState): loaded once, then kept current one change at a time.

The state holds each structure's records already rendered, each zone's hosts in order and each reverse zone's
PTRs in order, so a change to one structure re-reads that structure and re-renders only the zones it was or is
in; a zone's file is then one join of strings it already has.
"""

import bisect
import ipaddress
from collections import Counter
from operator import itemgetter
from typing import NamedTuple

from contractor.dns import naming, published, selectors, zonefile
from contractor.dns.models import Zone
from contractor.dns.zonefile import Host, ZoneText


class Block(NamedTuple):
    """An address block as the zone files see it."""

    base: int
    version: int
    prefix: int
    vlan: int
    zone_id: int | None  # the zone its site lands in
    bits: int  # the prefix length of its reverse zones
    classless: bool  # an IPv4 block under a /24 with its own RFC 2317 reverse zone

    def origins(self) -> list[str]:
        """The reverse zones it spans (with the RFC 2317 option: its own, then its /24's)."""
        if self.classless:
            return [naming.classless_origin(self.base, self.prefix), naming.reverse_origin(self.base, 4, 24)]
        return naming.reverse_origins(naming.ip_text(self.base, self.version), self.prefix)

    def delegation(self, zone: Zone) -> list[tuple]:
        """With the RFC 2317 option, the rows of its /24's zone: NS records delegating its own zone to `zone`'s
        name servers, and a CNAME from every address of the block to its name there."""
        if not self.classless:
            return []
        label = naming.classless_origin(self.base, self.prefix).split(".", 1)[0]
        rows = [(self.base, "", server, f"{label} IN NS {server}.\n") for server in zone.name_servers]
        for value in range(self.base, self.base + (1 << (32 - self.prefix))):
            owner = str(value & 255)
            rows.append((value, owner, "", f"{owner} IN CNAME {owner}.{label}\n"))
        return rows


class ZoneState:
    """The zones, the site -> zone map, the blocks and every published structure, with their rendered records."""

    def __init__(self):
        self.zones: dict[int, Zone] = {}
        self.servers: dict[int, tuple[set[str], set[str]]] = {}
        self.sites: dict[int, int] = {}  # site id -> the zone its structures land in
        self.blocks: dict[int, Block] = {}
        self.block_claims: dict[int, tuple[int, list[str], list[tuple]]] = {}  # what each block put in: undone alike
        self.classless: dict[int, list[tuple[int, int, str]]] = {}  # a /24 (address >> 8) -> RFC 2317 ranges
        self.hosts: dict[int, Host] = {}  # structure id -> host
        self.chunks: dict[int, str] = {}  # structure id -> its forward records
        self.order: dict[int, list[tuple[str, int]]] = {}  # zone id -> sorted (hostname, structure id)
        self.ptrs: dict[str, list[tuple]] = {}  # reverse origin -> sorted (value, owner, target, line)
        self.claims: dict[str, Counter] = {}  # reverse origin -> zone id -> blocks and addresses putting it there
        self.dirty: set[str] = set()  # origins whose content may have changed since the last take_dirty()

    @classmethod
    def load(cls, zone_ids: list[int] | None = None) -> "ZoneState":
        """Everything (or only the structures of `zone_ids`, enough for their forward zones), in a few queries."""
        state = cls()
        state._zones_load()
        state.sites = selectors.zone_site_ids(zone_ids)
        state._blocks_load()
        state.hosts_reload(None)
        state.dirty = set(state.origins())
        return state

    # Reading the zone files.

    def origins(self) -> list[str]:
        """Every zone file: the forward zones, and the reverse zones something puts there."""
        return [zone.name for zone in self.zones.values()] + [origin for origin, held in self.claims.items() if held]

    def texts(self, origins=None) -> dict[str, ZoneText]:
        """The zone files of `origins` (default all) that exist, by origin."""
        forward = {zone.name: zone for zone in self.zones.values()}
        texts = {}
        for origin in self.origins() if origins is None else origins:
            if origin in forward:
                texts[origin] = ZoneText(origin, forward[origin], self._forward_body(forward[origin]))
            elif self.claims.get(origin):
                owner = self.zones[min(self.claims[origin], key=lambda zone_id: self.zones[zone_id].name)]
                body = "".join(map(itemgetter(3), self.ptrs.get(origin, ())))
                texts[origin] = ZoneText(origin, owner, body, True)
        return texts

    def take_dirty(self) -> set[str]:
        """The origins changed since the last call (forward zones, reverse zones, zones gone), and forget them."""
        dirty, self.dirty = self.dirty, set()
        return dirty

    def _forward_body(self, zone: Zone) -> str:
        glue, _glued = zonefile.glue_lines(zone)
        hosts = "".join(map(self.chunks.__getitem__, map(itemgetter(1), self.order.get(zone.pk, ()))))
        extra = [zonefile.extra_line(record, zone) for record in zone.extra_records]
        return "".join(line + "\n" for line in glue) + hosts + "".join(line + "\n" for line in extra)

    # Changes.

    def apply(self, changes: dict[str, set[int]]):
        """Catch up with committed changes, by kind (zone, site, block, foundation, structure) -> ids."""
        if changes.get("zone"):
            self.zones_reload(changes["zone"])
        if changes.get("site"):
            self.sites_reload()
        if changes.get("block"):
            self.blocks_reload()
        if changes.get("foundation"):
            self.foundations_reload(changes["foundation"])
        if changes.get("structure"):
            self.hosts_reload(changes["structure"])

    def hosts_reload(self, structure_ids):
        """Read the structures `structure_ids` (None: all) again with their addresses, and re-render those that
        changed; only the zones whose records differ are marked for writing."""
        fresh = self._hosts_read(structure_ids)
        for structure_id in set(self.hosts if structure_ids is None else structure_ids) | fresh.keys():
            old, new = self.hosts.get(structure_id), fresh.get(structure_id)
            if old != new:
                self._replace(structure_id, old, new)

    def zones_reload(self, zone_ids):
        """Read the zones again: their name, name servers and glue shape their hosts' records and PTR targets."""
        affected = {structure_id: host for structure_id, host in self.hosts.items() if host.zone_id in zone_ids}
        blocks = [pk for pk, block in self.blocks.items() if block.zone_id in zone_ids]
        for structure_id, host in affected.items():
            self._replace(structure_id, host, None)
        for pk in blocks:
            self._unclaim_block(pk)
        self._dirty_zones(zone_ids)
        self._zones_load()
        self._dirty_zones(zone_ids)
        for pk in blocks:
            self._claim_block(pk)
        for structure_id, host in affected.items():
            if host.zone_id in self.zones:  # else its site is pointed elsewhere in this batch: sites_reload() reads it
                self._replace(structure_id, None, host)

    def sites_reload(self):
        """Read the site tree again; structures and blocks of sites that now land in another zone move with them."""
        before, self.sites = self.sites, selectors.zone_site_ids()
        moved = {site for site in before.keys() | self.sites.keys() if before.get(site) != self.sites.get(site)}
        if moved:
            self.blocks_reload()
            self.hosts_reload(selectors.zone_structures_of(sites=moved) + self._hosts_in(moved))

    def blocks_reload(self):
        """Read the blocks again; the structures with addresses in a changed block are read again too."""
        before = self.blocks
        for pk in list(self.block_claims):
            self._unclaim_block(pk)
        self._blocks_load()
        changed = {pk for pk in before.keys() | self.blocks.keys() if before.get(pk) != self.blocks.get(pk)}
        if any(block.classless for pk in changed for block in (before.get(pk), self.blocks.get(pk)) if block):
            self.hosts_reload(None)  # an RFC 2317 range moves the PTRs of any block's addresses inside it
        elif changed:
            self.hosts_reload([pk for pk, host in self.hosts.items() if any(a[5] in changed for a in host.addresses)])

    def foundations_reload(self, foundation_ids):
        """A foundation's locator is in its structure's TXT record."""
        self.hosts_reload(selectors.zone_structures_of(foundations=foundation_ids))

    # Bookkeeping.

    def _zones_load(self):
        self.zones = {zone.pk: zone for zone in Zone.objects.all()}
        # Per zone: the hostnames its glue is written on, and those of its in-zone name servers.
        self.servers = {
            pk: (zonefile.glue_lines(zone)[1], zonefile.server_labels(zone)) for pk, zone in self.zones.items()
        }

    def _blocks_load(self):
        self.blocks, self.classless = {}, {}
        for block_id, subnet, prefix, vlan, classless, zone_id in selectors.zone_block_rows(self.sites):
            ip = ipaddress.ip_address(subnet)
            bits = naming.reverse_bits(prefix, ip.version)
            block = Block(int(ip), ip.version, prefix, vlan, zone_id, bits, classless and ip.version == 4)
            self.blocks[block_id] = block
            if block.classless:
                end = block.base + (1 << (32 - prefix)) - 1
                self.classless.setdefault(block.base >> 8, []).append((block.base, end, block.origins()[0]))
            self._claim_block(block_id)

    def _claim_block(self, pk: int):
        """Put block `pk`'s reverse zones (and its RFC 2317 delegation) in, if its site is under a zone."""
        block = self.blocks.get(pk)
        if block is None or block.zone_id not in self.zones:
            return
        origins, rows = block.origins(), block.delegation(self.zones[block.zone_id])
        for origin in origins:
            self._claim(origin, block.zone_id, 1)
        for row in rows:
            bisect.insort(self.ptrs.setdefault(origins[-1], []), row)
        self.block_claims[pk] = (block.zone_id, origins, rows)

    def _unclaim_block(self, pk: int):
        zone_id, origins, rows = self.block_claims.pop(pk, (None, [], []))
        for origin in origins:
            self._claim(origin, zone_id, -1)
        for row in rows:
            _remove(self.ptrs[origins[-1]], row)

    def _reverse_place(self, value: int, block: Block) -> tuple[str, str]:
        """The reverse zone and owner name of an address: in an RFC 2317 block's own zone if one covers it."""
        if block.version == 4:
            for start, end, origin in self.classless.get(value >> 8, ()):
                if start <= value <= end:
                    return origin, str(value & 255)
        return (
            naming.reverse_origin(value, block.version, block.bits),
            naming.reverse_owner(value, block.version, block.bits),
        )

    def _claim(self, origin: str, zone_id: int, count: int):
        held = self.claims.setdefault(origin, Counter())
        held[zone_id] += count
        if held[zone_id] <= 0:
            del held[zone_id]
        self.dirty.add(origin)

    def _hosts_in(self, sites) -> list[int]:
        return [structure_id for structure_id, host in self.hosts.items() if host.site_id in sites]

    def _hosts_read(self, structure_ids) -> dict[int, Host]:
        """The structures (of `structure_ids`) in sites under a zone, with their static addresses."""
        hosts = {}
        for site_id, zone_id, structure_id, hostname, locator in selectors.zone_structure_rows(
            self.sites, structure_ids
        ):
            hosts[structure_id] = Host(hostname.lower(), locator, site_id, zone_id)
        for structure_id, interface, alias_index, is_primary, block_id, offset in selectors.zone_address_rows(
            self.sites, structure_ids
        ):
            host, block = hosts.get(structure_id), self.blocks.get(block_id)
            if host is None or block is None:
                continue  # written between the two reads: the notice of that change reads it again
            name = naming.address_name(host.hostname, interface, alias_index, block.vlan)
            value = block.base + offset
            origin, owner = self._reverse_place(value, block)
            host.addresses.append((name, block.version, value, origin, owner, block_id))
            if is_primary:
                host.primary = name
        for row in published.published_ports(structure_ids=list(hosts) if structure_ids is not None else None):
            host = hosts.get(row.structure_id)
            try:
                ip = ipaddress.ip_address(row.address)
            except ValueError:
                continue  # not an address (a publish address given as a name): no record for it
            if host is not None:
                host.services.append((ip.version, int(ip), row.port, row.protocol, row.host_port))
        for host in hosts.values():
            host.services.sort()
            host.addresses.sort()  # in a fixed order, so an unchanged host compares equal to its last reading
        return hosts

    def _replace(self, structure_id: int, old: Host | None, new: Host | None):
        """Put `new` where `old` was: its forward records, and the PTRs that differ."""
        if old is not None:
            del self.hosts[structure_id], self.chunks[structure_id]
            _remove(self.order[old.zone_id], (old.hostname, structure_id))
            self.dirty.add(self.zones[old.zone_id].name)
        if new is not None:
            zone = self.zones[new.zone_id]
            self.hosts[structure_id] = new
            bisect.insort(self.order.setdefault(new.zone_id, []), (new.hostname, structure_id))
            glued, servers = self.servers[new.zone_id]
            lines = zonefile.host_lines(new, glued=new.hostname in glued, name_server=new.hostname in servers)
            self.chunks[structure_id] = "".join(line + "\n" for line in lines)
            self.dirty.add(zone.name)
        before, after = self._ptr_rows(old), self._ptr_rows(new)
        for origin, zone_id, row in before - after:
            _remove(self.ptrs[origin], row)
            self._claim(origin, zone_id, -1)
        for origin, zone_id, row in after - before:
            bisect.insort(self.ptrs.setdefault(origin, []), row)
            self._claim(origin, zone_id, 1)

    def _ptr_rows(self, host: Host | None) -> set[tuple]:
        """(origin, zone id, (address, owner, target, line)) of each of the host's PTRs."""
        if host is None:
            return set()
        zone = self.zones[host.zone_id].name
        rows = set()
        for name, _version, value, origin, owner, _block in host.addresses:
            target = f"{name}.{zone}."
            rows.add((origin, host.zone_id, (value, owner, target, zonefile.ptr_line(owner, target))))
        return rows

    def _dirty_zones(self, zone_ids):
        """Mark the forward zones of `zone_ids` and every reverse zone they put anything in."""
        self.dirty.update(self.zones[pk].name for pk in zone_ids if pk in self.zones)
        self.dirty.update(origin for origin, held in self.claims.items() if any(pk in held for pk in zone_ids))


def _remove(rows: list, row):
    del rows[bisect.bisect_left(rows, row)]


def all_zones() -> dict[str, ZoneText]:
    """Every forward and reverse zone file, by origin, from a handful of queries."""
    return ZoneState.load().texts()


def forward_zone(zone: Zone) -> ZoneText:
    """The forward zone file of `zone`."""
    return ZoneState.load([zone.pk]).texts([zone.name])[zone.name]


def zone_reverse_zones(zone: Zone) -> dict[str, ZoneText]:
    """The reverse zones `zone` owns (those it has addresses or sites' blocks in and is first by name for)."""
    texts = ZoneState.load().texts()
    return {origin: text for origin, text in texts.items() if text.reverse and text.zone.pk == zone.pk}
