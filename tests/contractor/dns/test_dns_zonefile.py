"""Zone file rendering: names of addresses, CNAME, TXT, glue, extra records, reverse zones; named-checkzone."""

import pytest

from contractor.dns import state as zonefile
from contractor.dns.services import zone_update
from tests.factories import AddressBlockFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


def render_all():
    texts = zonefile.all_zones()
    return {origin: text.text(2026010100) for origin, text in texts.items()}


def test_forward_zone_records(zone_site, host_with_address, checkzone):
    """Each address gets an A under eth0.host, the hostname a CNAME to it, and a TXT carries the locator."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24)
    host_with_address(site, "web1", block, 10, locator="rack1-u10")
    text = render_all()["prod.example.com"]
    assert "eth0.web1 IN A 10.1.2.10" in text
    assert "web1 IN CNAME eth0.web1" in text
    assert 'eth0.web1 IN TXT "locator=rack1-u10"' in text
    assert "@ IN NS ns1.prod.example.com." in text
    assert "ns1 IN A 192.0.2.53" in text
    checkzone("prod.example.com", text)


def test_ipv6_forward_and_nibble_reverse(zone_site, host_with_address, checkzone):
    """An IPv6 address gets an AAAA, and a PTR in the nibble-format reverse zone of its /64."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="2001:db8:0:1::", prefix=64, gateway_offset=None)
    host_with_address(site, "db1", block, 0x10)
    texts = render_all()
    assert "eth0.db1 IN AAAA 2001:db8:0:1::10" in texts["prod.example.com"]
    origin = "1.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    assert "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR eth0.db1.prod.example.com." in texts[origin]
    checkzone("prod.example.com", texts["prod.example.com"])
    checkzone(origin, texts[origin])


def test_ipv4_reverse_zone_ptr(zone_site, host_with_address, checkzone):
    """A /24's reverse zone holds a PTR from the last octet to the address's own name."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24)
    host_with_address(site, "web1", block, 10)
    text = render_all()["2.1.10.in-addr.arpa"]
    assert "10 IN PTR eth0.web1.prod.example.com." in text
    assert "@ IN NS ns1.prod.example.com." in text
    checkzone("2.1.10.in-addr.arpa", text)


def test_slash_20_makes_sixteen_reverse_zones(zone_site, host_with_address, checkzone):
    """A /20 spans 16 /24 reverse zones, all generated (empty ones too); an address lands in its own /24."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.16.0.0", prefix=20)
    host_with_address(site, "big", block, 256 * 5 + 7)
    texts = render_all()
    origins = sorted(origin for origin in texts if origin.endswith(".16.10.in-addr.arpa"))
    assert origins == sorted(f"{n}.16.10.in-addr.arpa" for n in range(16))
    assert "7 IN PTR eth0.big.prod.example.com." in texts["5.16.10.in-addr.arpa"]
    assert "PTR" not in texts["4.16.10.in-addr.arpa"]
    for origin in ("5.16.10.in-addr.arpa", "4.16.10.in-addr.arpa"):
        checkzone(origin, texts[origin])


def test_slash_8_is_one_reverse_zone_and_slash_26_uses_its_24(zone_site, host_with_address, checkzone):
    """A /8 is one reverse zone with three-label owners; a /26 falls in its enclosing /24 zone."""
    _zone, site = zone_site
    host_with_address(site, "wide", AddressBlockFactory(site=site, subnet="11.0.0.0", prefix=8), 65536 * 3 + 258)
    host_with_address(site, "small", AddressBlockFactory(site=site, subnet="172.16.5.64", prefix=26), 2)
    texts = render_all()
    assert "2.1.3 IN PTR eth0.wide.prod.example.com." in texts["11.in-addr.arpa"]
    assert "66 IN PTR eth0.small.prod.example.com." in texts["5.16.172.in-addr.arpa"]
    assert not any(origin.endswith(".11.in-addr.arpa") for origin in texts)
    checkzone("11.in-addr.arpa", texts["11.in-addr.arpa"])
    checkzone("5.16.172.in-addr.arpa", texts["5.16.172.in-addr.arpa"])


def test_many_aliases_and_vlans(zone_site, add_address_to, checkzone):
    """Aliases are eth0-1.host, eth0-2.host...; addresses of VLAN-tagged blocks are prefixed v<tag>."""
    _zone, site = zone_site
    plain = AddressBlockFactory(site=site, subnet="10.2.0.0", prefix=24)
    tagged = AddressBlockFactory(site=site, subnet="10.3.0.0", prefix=24, vlan=30)
    host = StructureFactory(site=site, hostname="multi")
    add_address_to(host, plain, 5, is_primary=True)
    for alias in range(1, 21):
        add_address_to(host, plain, 100 + alias, alias_index=alias)
    add_address_to(host, tagged, 5, interface="bond0")
    add_address_to(host, tagged, 6, interface="bond0", alias_index=1)
    add_address_to(host, tagged, 7, interface="eth1_storage")
    texts = render_all()
    forward = texts["prod.example.com"]
    assert "eth0-20.multi IN A 10.2.0.120" in forward
    assert "v30.bond0.multi IN A 10.3.0.5" in forward
    assert "v30.bond0-1.multi IN A 10.3.0.6" in forward
    assert "v30.eth1-storage.multi IN A 10.3.0.7" in forward
    assert "multi IN CNAME eth0.multi" in forward
    assert "5 IN PTR v30.bond0.multi.prod.example.com." in texts["0.3.10.in-addr.arpa"]
    checkzone("prod.example.com", forward)
    checkzone("0.3.10.in-addr.arpa", texts["0.3.10.in-addr.arpa"])


def test_dual_stack_interface_shares_one_name(zone_site, add_address_to, checkzone):
    """An interface's IPv4 and IPv6 main addresses share its name: an A and an AAAA on eth0.host."""
    _zone, site = zone_site
    v4 = AddressBlockFactory(site=site, subnet="10.4.0.0", prefix=24)
    v6 = AddressBlockFactory(site=site, subnet="2001:db8:4::", prefix=48, gateway_offset=None)
    host = StructureFactory(site=site, hostname="dual")
    add_address_to(host, v4, 9, is_primary=True)
    add_address_to(host, v6, 9)
    texts = render_all()
    assert "eth0.dual IN A 10.4.0.9" in texts["prod.example.com"]
    assert "eth0.dual IN AAAA 2001:db8:4::9" in texts["prod.example.com"]
    assert "4.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" in texts
    checkzone("prod.example.com", texts["prod.example.com"])
    checkzone("4.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", texts["4.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"])


def test_name_server_structure_holds_its_addresses(make_zone, host_with_address, checkzone):
    """An in-zone name server that is a structure gets A records at its hostname (no CNAME) as glue."""
    zone = make_zone(name="lab.example.org", name_servers=["ns.other.net"], glue={})
    site = SiteFactory(name="lab", zone=zone)
    host_with_address(site, "dns1", AddressBlockFactory(site=site, subnet="10.9.0.0", prefix=24), 53)
    zone_update(zone=zone, name_servers=["dns1.lab.example.org", "ns.other.net"])
    text = render_all()["lab.example.org"]
    assert "dns1 IN A 10.9.0.53" in text
    assert "dns1 IN CNAME" not in text
    assert "@ IN NS ns.other.net." in text
    checkzone("lab.example.org", text)


def test_extra_records_and_escaped_txt(make_zone, checkzone):
    """MX, SRV, CNAME and TXT extra records are written; TXT quotes, backslashes and non-ASCII are escaped."""
    records = [
        {"type": "MX", "name": "@", "priority": 10, "value": "mail"},
        {"type": "MX", "name": "@", "priority": 20, "value": "mx.backup.example.net."},
        {"type": "MX", "name": "@", "priority": 30, "value": "ns1.prod.example.com"},
        {"type": "SRV", "name": "_ldap._tcp", "priority": 0, "weight": 5, "port": 389, "value": "ns1"},
        {"type": "CNAME", "name": "www", "value": "ns1"},
        {"type": "CNAME", "name": "ldap.internal", "value": "ns1.internal"},
        {"type": "TXT", "name": "@", "value": 'v=spf1 "quoted" ' + "x" * 300, "ttl": 60},
        {"type": "TXT", "name": "mail", "value": "mail host"},
        {"type": "TXT", "name": "utf", "value": "café \\ ok"},
    ]
    make_zone(extra_records=records, glue={"ns1.prod.example.com": ["192.0.2.53", "2001:db8::53"]})
    text = render_all()["prod.example.com"]
    assert "@ IN MX 10 mail" in text
    assert "@ IN MX 20 mx.backup.example.net." in text
    assert "@ IN MX 30 ns1.prod.example.com." in text
    assert "_ldap._tcp IN SRV 0 5 389 ns1" in text
    assert "www IN CNAME ns1" in text
    assert "ldap.internal IN CNAME ns1.internal\n" in text
    assert '@ 60 IN TXT "v=spf1 \\"quoted\\" ' in text
    assert "ns1 IN AAAA 2001:db8::53" in text
    assert 'utf IN TXT "caf\\195\\169 \\\\ ok"' in text
    checkzone("prod.example.com", text)


def test_structure_without_primary_address_gets_no_cname(zone_site, add_address_to, checkzone):
    """A structure with no primary address has no CNAME; its locator TXT sits on the hostname."""
    _zone, site = zone_site
    host = StructureFactory(site=site, hostname="plain", foundation__locator="loc-1")
    add_address_to(host, AddressBlockFactory(site=site, subnet="10.5.0.0", prefix=24), 3)
    StructureFactory(site=site, hostname="bare", foundation__locator="loc-2")
    text = render_all()["prod.example.com"]
    assert "CNAME" not in text
    assert 'plain IN TXT "locator=loc-1"' in text
    assert 'bare IN TXT "locator=loc-2"' in text
    checkzone("prod.example.com", text)


def test_zones_see_only_their_sites(make_zone, host_with_address):
    """A structure appears in its own site's zone only; sites without a zone publish nothing."""
    one, two = make_zone(name="one.example.com"), make_zone(name="two.example.com")
    site_one, site_two = SiteFactory(name="s1", zone=one), SiteFactory(name="s2", zone=two)
    loose = SiteFactory(name="s3")
    host_with_address(site_one, "alpha", AddressBlockFactory(site=site_one, subnet="10.6.0.0", prefix=24), 1 + 1)
    host_with_address(site_two, "beta", AddressBlockFactory(site=site_two, subnet="10.7.0.0", prefix=24), 2)
    host_with_address(loose, "gamma", AddressBlockFactory(site=loose, subnet="10.8.0.0", prefix=24), 2)
    texts = render_all()
    assert "alpha" in texts["one.example.com"] and "beta" not in texts["one.example.com"]
    assert "beta" in texts["two.example.com"]
    assert "gamma" not in "".join(texts.values())
    assert "0.8.10.in-addr.arpa" not in texts
    assert texts["0.7.10.in-addr.arpa"].startswith("$ORIGIN 0.7.10.in-addr.arpa.")
    assert "ns1.two.example.com." in texts["0.7.10.in-addr.arpa"]


def test_reverse_zones_of_a_zone(make_zone, host_with_address):
    """zone_reverse_zones gives exactly the reverse zones a zone owns."""
    one = make_zone(name="one.example.com")
    make_zone(name="two.example.com")
    site = SiteFactory(name="s1", zone=one)
    host_with_address(site, "alpha", AddressBlockFactory(site=site, subnet="10.6.0.0", prefix=23), 2)
    assert sorted(zonefile.zone_reverse_zones(one)) == ["0.6.10.in-addr.arpa", "1.6.10.in-addr.arpa"]
