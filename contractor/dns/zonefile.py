"""Rendering BIND zone files, forward and reverse, from the flat rows the selectors return."""

import hashlib
import ipaddress
from dataclasses import dataclass, field

from contractor.dns import naming, selectors
from contractor.dns.models import Zone

RECORD_TYPE = {4: "A", 6: "AAAA"}


@dataclass
class Host:
    """One structure as the zone file sees it."""

    hostname: str
    locator: str
    primary: str | None = None
    # (name, version, address as an int, prefix length of its reverse zone)
    addresses: list[tuple[str, int, int, int]] = field(default_factory=list)


@dataclass
class ZoneText:
    """One zone file's content without its serial; `text(serial)` gives the file."""

    origin: str
    zone: Zone  # the forward zone whose SOA timers and name servers it uses
    body: str
    reverse: bool = False

    def text(self, serial: int) -> str:
        zone = self.zone
        head = [
            f"$ORIGIN {self.origin}.",
            f"$TTL {zone.ttl}",
            f"@ IN SOA {zone.name_servers[0]}. {rname(zone)}. "
            f"( {serial} {zone.refresh} {zone.retry} {zone.expire} {zone.minimum} )",
        ]
        head += [f"@ IN NS {server}." for server in zone.name_servers]
        return "\n".join(head) + "\n" + self.body

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text(0).encode()).hexdigest()


def rname(zone: Zone) -> str:
    """The SOA contact as a domain name: dots in the mailbox part escaped, '@' turned into a dot."""
    contact = zone.contact or f"hostmaster@{zone.name}"
    mailbox, _, domain = contact.rpartition("@")
    return mailbox.replace(".", "\\.") + "." + domain.rstrip(".")


def quoted(text: str) -> str:
    """`text` as TXT character strings: quoted, escaped, non-ASCII as \\DDD, split into 255-byte pieces."""
    data = text.encode()
    pieces = [data[start : start + 255] for start in range(0, len(data), 255)] or [b""]
    return " ".join('"' + "".join(_escape_byte(byte) for byte in piece) + '"' for piece in pieces)


def _escape_byte(byte: int) -> str:
    if byte in (0x22, 0x5C):
        return "\\" + chr(byte)
    return chr(byte) if 0x20 <= byte < 0x7F else f"\\{byte:03d}"


def collect_hosts(zone_ids: list[int] | None = None) -> tuple[dict[int, dict[int, Host]], dict[int, tuple]]:
    """Structures by zone id then structure id, with their addresses; and the address blocks by id."""
    sites = selectors.zone_site_ids(zone_ids)
    blocks = {}
    for block_id, subnet, prefix, vlan, zone_id in selectors.zone_block_rows(sites):
        ip = ipaddress.ip_address(subnet)
        blocks[block_id] = (int(ip), ip.version, prefix, vlan, zone_id, naming.reverse_bits(prefix, ip.version))
    hosts, by_structure = {}, {}
    for zone_id, structure_id, hostname, locator in selectors.zone_structure_rows(sites):
        host = by_structure[structure_id] = Host(hostname.lower(), locator)
        hosts.setdefault(zone_id, {})[structure_id] = host
    for structure_id, interface, alias_index, is_primary, block_id, offset in selectors.zone_address_rows(sites):
        host = by_structure[structure_id]
        base, version, _prefix, vlan, _zone, bits = blocks[block_id]
        name = naming.address_name(host.hostname, interface, alias_index, vlan)
        host.addresses.append((name, version, base + offset, bits))
        if is_primary:
            host.primary = name
    return hosts, blocks


def forward_body(zone: Zone, hosts: dict[int, Host]) -> str:
    """Glue, the records of every structure, then the zone's extra records."""
    lines = []
    glued = set()
    for server in zone.name_servers:
        if zone.in_zone(server) and server in zone.glue:
            owner = zone.relative(server)
            glued.add(owner)
            lines += [f"{owner} IN {_type(address)} {address}" for address in zone.glue[server]]
    servers = {zone.relative(server) for server in zone.name_servers if zone.in_zone(server)}
    for host in sorted(hosts.values(), key=lambda host: host.hostname):
        lines += host_lines(host, glued=host.hostname in glued, name_server=host.hostname in servers)
    lines += [extra_line(record, zone) for record in zone.extra_records]
    return "\n".join(lines) + "\n"


def _type(address: str) -> str:
    return RECORD_TYPE[ipaddress.ip_address(address).version]


def host_lines(host: Host, *, glued: bool, name_server: bool) -> list[str]:
    """A and AAAA for each address, a CNAME from the hostname to the primary name, and the locator TXT.

    A name server's hostname holds its primary addresses itself (an NS may not point at a CNAME).
    """
    lines = []
    for name, version, value, _bits in sorted(host.addresses):
        lines.append(f"{name} IN {RECORD_TYPE[version]} {naming.ip_text(value, version)}")
        if name_server and not glued and name == host.primary:
            lines.append(f"{host.hostname} IN {RECORD_TYPE[version]} {naming.ip_text(value, version)}")
    if host.primary and not glued and not name_server:
        lines.append(f"{host.hostname} IN CNAME {host.primary}")
    txt_owner = host.primary if host.primary and not (glued or name_server) else host.hostname
    lines.append(f"{txt_owner} IN TXT {quoted('locator=' + host.locator)}")
    return lines


def _target(value: str, zone: Zone) -> str:
    """As in a zone file, a name ending in '.' is absolute and any other is relative to the zone; one ending
    with the zone's own name is taken as absolute (the dot is easy to forget)."""
    if value == "@" or value.endswith("."):
        return value
    lowered = value.lower()
    return value + "." if lowered == zone.name or lowered.endswith("." + zone.name) else value


def extra_line(record: dict, zone: Zone) -> str:
    """One of the zone's own MX, SRV, CNAME or TXT records."""
    ttl = f" {record['ttl']}" if "ttl" in record else ""
    start = f"{record.get('name', '@')}{ttl} IN {record['type']}"
    if record["type"] == "MX":
        return f"{start} {record['priority']} {_target(record['value'], zone)}"
    if record["type"] == "SRV":
        return f"{start} {record['priority']} {record['weight']} {record['port']} {_target(record['value'], zone)}"
    if record["type"] == "CNAME":
        return f"{start} {_target(record['value'], zone)}"
    return f"{start} {quoted(record['value'])}"


def forward_zone(zone: Zone) -> ZoneText:
    """The forward zone file of `zone`."""
    hosts, _blocks = collect_hosts([zone.pk])
    return ZoneText(zone.name, zone, forward_body(zone, hosts.get(zone.pk, {})))


def reverse_zones(zones: dict[int, Zone], hosts: dict[int, dict[int, Host]], blocks: dict) -> dict[str, ZoneText]:
    """Every reverse zone with PTRs for the zones' addresses, plus the empty ones of their sites' blocks.

    A reverse zone that addresses of several forward zones fall in takes its SOA and NS from the first by name.
    """
    owner_of, records = {}, {}
    for base, version, prefix, _vlan, zone_id, _bits in blocks.values():
        if zone_id in zones:
            for origin in naming.reverse_origins(naming.ip_text(base, version), prefix):
                _claim(owner_of, origin, zones[zone_id])
    for zone_id, zone_hosts in hosts.items():
        zone = zones[zone_id]
        for host in zone_hosts.values():
            for name, version, value, bits in host.addresses:
                origin = naming.reverse_origin(value, version, bits)
                _claim(owner_of, origin, zone)
                owner = naming.reverse_owner(value, version, bits)
                records.setdefault(origin, []).append((value, owner, f"{name}.{zone.name}."))
    return {
        origin: ZoneText(origin, zone, _ptr_body(records.get(origin, [])), True) for origin, zone in owner_of.items()
    }


def _claim(owner_of: dict, origin: str, zone: Zone):
    current = owner_of.get(origin)
    if current is None or zone.name < current.name:
        owner_of[origin] = zone


def _ptr_body(records: list[tuple]) -> str:
    return "".join(f"{owner} IN PTR {target}\n" for _value, owner, target in sorted(records))


def all_zones() -> dict[str, ZoneText]:
    """Every forward and reverse zone file, by origin, from a handful of queries."""
    zones = {zone.pk: zone for zone in Zone.objects.all()}
    hosts, blocks = collect_hosts()
    texts = {
        zone.name: ZoneText(zone.name, zone, forward_body(zone, hosts.get(zone.pk, {}))) for zone in zones.values()
    }
    texts.update(reverse_zones(zones, hosts, blocks))
    return texts


def zone_reverse_zones(zone: Zone) -> dict[str, ZoneText]:
    """The reverse zones `zone` owns (those it has addresses or sites' blocks in and is first by name for)."""
    zones = {other.pk: other for other in Zone.objects.all()}
    hosts, blocks = collect_hosts()
    return {origin: text for origin, text in reverse_zones(zones, hosts, blocks).items() if text.zone.pk == zone.pk}
