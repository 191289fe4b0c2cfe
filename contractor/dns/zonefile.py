"""The pieces of BIND zone files: a host's records, glue, extra records, PTRs, and the head with its serial."""

import hashlib
import ipaddress
from dataclasses import dataclass, field

from contractor.dns import naming
from contractor.dns.models import Zone

RECORD_TYPE = {4: "A", 6: "AAAA"}


@dataclass
class Host:
    """One structure as the zone file sees it."""

    hostname: str
    locator: str
    site_id: int
    zone_id: int
    primary: str | None = None
    # (name, version, address as an int, reverse zone, owner name in it, block id)
    addresses: list[tuple[str, int, int, str, str, int]] = field(default_factory=list)
    # published on another machine's address (contractor.dns.published): (version, address as an int, port,
    # protocol, host port)
    services: list[tuple[int, int, int, str, int]] = field(default_factory=list)


@dataclass
class ZoneText:
    """One zone file's content without its serial; `text(serial)` gives the file."""

    origin: str
    zone: Zone  # the forward zone whose SOA timers and name servers it uses
    body: str
    reverse: bool = False

    def text(self, serial: int) -> str:
        return self.head(serial) + self.body

    def head(self, serial: int) -> str:
        """$ORIGIN, $TTL, the SOA with `serial`, and the NS records."""
        zone = self.zone
        head = [
            f"$ORIGIN {self.origin}.",
            f"$TTL {zone.ttl}",
            f"@ IN SOA {zone.name_servers[0]}. {rname(zone)}. "
            f"( {serial} {zone.refresh} {zone.retry} {zone.expire} {zone.minimum} )",
        ]
        head += [f"@ IN NS {server}." for server in zone.name_servers]
        return "\n".join(head) + "\n"

    @property
    def content_hash(self) -> str:
        """The hash of the file with serial 0 (the same content gives the same hash, whatever its serial)."""
        digest = hashlib.sha256(self.head(0).encode())
        digest.update(self.body.encode())
        return digest.hexdigest()


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


def glue_lines(zone: Zone) -> tuple[list[str], set[str]]:
    """The glue records of the zone's in-zone name servers, and the owner names they were written on."""
    lines, glued = [], set()
    for server in zone.name_servers:
        if zone.in_zone(server) and server in zone.glue:
            owner = zone.relative(server)
            glued.add(owner)
            lines += [f"{owner} IN {_type(address)} {address}" for address in zone.glue[server]]
    return lines, glued


def server_labels(zone: Zone) -> set[str]:
    """The in-zone name servers relative to the zone (a structure of that hostname holds addresses, not a CNAME)."""
    return {zone.relative(server) for server in zone.name_servers if zone.in_zone(server)}


def _type(address: str) -> str:
    return RECORD_TYPE[ipaddress.ip_address(address).version]


def host_lines(host: Host, *, glued: bool, name_server: bool) -> list[str]:
    """A and AAAA for each address, a CNAME from the hostname to the primary name, and the locator TXT.

    A name server's hostname holds its primary addresses itself (an NS may not point at a CNAME).
    """
    lines = []
    for name, version, value, *_place in sorted(host.addresses):
        lines.append(f"{name} IN {RECORD_TYPE[version]} {naming.ip_text(value, version)}")
        if name_server and not glued and name == host.primary:
            lines.append(f"{host.hostname} IN {RECORD_TYPE[version]} {naming.ip_text(value, version)}")
    if host.primary and not glued and not name_server:
        lines.append(f"{host.hostname} IN CNAME {host.primary}")
    txt_owner = host.primary if host.primary and not (glued or name_server) else host.hostname
    lines.append(f"{txt_owner} IN TXT {quoted('locator=' + host.locator)}")
    return lines + service_lines(host)


def service_lines(host: Host) -> list[str]:
    """The ports the structure publishes on another machine's address: an SRV record per port
    (`_8080._tcp.<hostname>`, port numbers as service labels) pointing at the hostname, which holds an A/AAAA
    record of each publishing address when it has no address of its own (else the SRV points at its primary)."""
    if not host.services:
        return []
    target = host.primary or host.hostname
    lines = []
    if not host.primary:
        for version, value in sorted({(version, value) for version, value, *_rest in host.services}):
            lines.append(f"{host.hostname} IN {RECORD_TYPE[version]} {naming.ip_text(value, version)}")
    for _version, _value, port, protocol, host_port in sorted(host.services):
        lines.append(f"_{port}._{protocol}.{host.hostname} IN SRV 0 0 {host_port} {target}")
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


def ptr_line(owner: str, target: str) -> str:
    return f"{owner} IN PTR {target}\n"
