"""DNS names of addresses and the reverse-zone arithmetic (octet and nibble boundaries)."""

import ipaddress
import re

UNSAFE = re.compile(r"[^a-z0-9-]")


def label(text: str) -> str:
    """`text` as a host label: lower case, with '_' and '.' (allowed in interface names) turned into '-'."""
    return UNSAFE.sub("-", text.lower()).strip("-") or "if"


def address_name(hostname: str, interface: str, alias_index: int | None, vlan: int) -> str:
    """The name of one address relative to its zone: eth0.host, eth0-1.host (alias 1), v10.eth0.host (VLAN 10)."""
    name = label(interface) if alias_index is None else f"{label(interface)}-{alias_index}"
    if vlan:
        name = f"v{vlan}.{name}"
    return f"{name}.{hostname.lower()}"


def ip_text(value: int, version: int) -> str:
    """The usual text form of an address held as an integer."""
    if version == 4:
        return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"
    return str(ipaddress.IPv6Address(value))


def reverse_bits(prefix: int, version: int) -> int:
    """The prefix length of the reverse zones covering a block: rounded up to an octet (IPv4) or nibble (IPv6)."""
    if version == 4:
        return min(max(-(-prefix // 8) * 8, 8), 24)
    return min(max(-(-prefix // 4) * 4, 4), 124)


def reverse_origin(value: int, version: int, bits: int) -> str:
    """The reverse zone (`bits` long) holding the address `value`."""
    if version == 4:
        octets = [str(value >> shift & 255) for shift in (24, 16, 8, 0)][: bits // 8]
        return ".".join(reversed(octets)) + ".in-addr.arpa"
    nibbles = f"{value:032x}"[: bits // 4]
    return ".".join(reversed(nibbles)) + ".ip6.arpa"


def reverse_owner(value: int, version: int, bits: int) -> str:
    """The PTR owner name of `value` relative to its `bits`-long reverse zone."""
    if version == 4:
        octets = [str(value >> shift & 255) for shift in (24, 16, 8, 0)][bits // 8 :]
        return ".".join(reversed(octets))
    return ".".join(reversed(f"{value:032x}"[bits // 4 :]))


def reverse_origins(subnet: str, prefix: int) -> list[str]:
    """Every reverse zone a block spans: a /20 gives 16 /24 zones, a /8 one zone, a /62 four /64 zones."""
    network = ipaddress.ip_network(f"{subnet}/{prefix}")
    bits = reverse_bits(prefix, network.version)
    if bits <= prefix:
        return [reverse_origin(int(network.network_address), network.version, bits)]
    base, step = int(network.network_address), 1 << (network.max_prefixlen - bits)
    count = 1 << (bits - prefix)
    return [reverse_origin(base + index * step, network.version, bits) for index in range(count)]


def classless_origin(base: int, prefix: int) -> str:
    """The RFC 2317 zone of an IPv4 block smaller than a /24: '<first octet>-<prefix>' under its /24's zone
    (64-26.2.0.192.in-addr.arpa for 192.0.2.64/26; RFC 2317 writes 64/26, but '/' cannot be in a file name)."""
    return f"{base & 255}-{prefix}.{reverse_origin(base, 4, 24)}"
