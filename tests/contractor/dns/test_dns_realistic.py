"""A realistic site end to end: every written zone file loads in named-checkzone; queries stay few."""

import pytest

from contractor.dns.services import zone_update
from contractor.dns.writer import zones_write
from tests.factories import AddressBlockFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

RECORDS = [
    {"type": "MX", "name": "@", "priority": 10, "value": "mail"},
    {"type": "SRV", "name": "_ldap._tcp", "priority": 0, "weight": 100, "port": 389, "value": "dns1"},
    {"type": "CNAME", "name": "www", "value": "web0"},
    {"type": "TXT", "name": "@", "value": "v=spf1 mx -all"},
]


def build_site(make_zone, add_address_to, hosts: int):
    """Two sites in one zone: a /20 and a /64, a VLAN block, aliases, and a structure that is a name server."""
    zone = make_zone(name="dc1.example.com", name_servers=["ns.example.net"], glue={}, contact="dns.ops@example.com")
    east, west = SiteFactory(name="east", zone=zone), SiteFactory(name="west", zone=zone)
    v4 = AddressBlockFactory(site=east, subnet="10.32.0.0", prefix=20)
    v6 = AddressBlockFactory(site=east, subnet="2001:db8:32::", prefix=64, gateway_offset=None)
    storage = AddressBlockFactory(site=west, subnet="172.20.0.0", prefix=16, vlan=200)
    names = ["dns1", "mail"] + [f"web{index}" for index in range(hosts)]
    for index, hostname in enumerate(names):
        host = StructureFactory(site=east if index % 2 else west, hostname=hostname)
        add_address_to(host, v4, 300 * index + 10, is_primary=True)
        add_address_to(host, v6, index + 0x100)
        add_address_to(host, v4, 300 * index + 11, alias_index=1)
        add_address_to(host, storage, index + 10, interface="bond0")
    zone_update(zone=zone, name_servers=["dns1.dc1.example.com", "ns.example.net"], extra_records=RECORDS)
    return zone


def test_every_written_file_passes_named_checkzone(make_zone, add_address_to, checkzone, tmp_path):
    """All forward and reverse zones of a realistic site load in named-checkzone."""
    build_site(make_zone, add_address_to, hosts=6)
    result = zones_write(output=tmp_path)
    origins = [origin for origin in result.written if origin != "zones.conf"]
    assert "dc1.example.com" in origins
    assert len([origin for origin in origins if origin.endswith(".32.10.in-addr.arpa")]) == 16
    assert "20.172.in-addr.arpa" in origins
    assert "0.0.0.0.2.3.0.0.8.b.d.0.1.0.0.2.ip6.arpa" in origins
    for origin in origins:
        checkzone(origin, (tmp_path / f"{origin}.zone").read_text())
    forward = (tmp_path / "dc1.example.com.zone").read_text()
    assert "@ IN SOA dns1.dc1.example.com. dns\\.ops.example.com. (" in forward
    assert "dns1 IN A 10.32.0.10" in forward


@pytest.mark.parametrize("hosts", [2, 20])
def test_writing_takes_a_fixed_number_of_queries(
    make_zone, add_address_to, tmp_path, hosts, django_assert_max_num_queries
):
    """Zone generation reads in bulk: the query count does not grow with the number of hosts."""
    build_site(make_zone, add_address_to, hosts=hosts)
    with django_assert_max_num_queries(12):
        zones_write(output=tmp_path)
