"""Zone validation and hostnames unique within a zone (across every site pointing at it)."""

import pytest
from django.core.exceptions import ValidationError

from contractor.building.models import Structure
from contractor.dns import naming
from contractor.dns.services import site_zone_set, zone_create
from tests.factories import ManualFoundationFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


def structure_like(other, site, hostname):
    """An unsaved structure in `site` on a fresh foundation, with `other`'s blueprint."""
    foundation = ManualFoundationFactory(site=site, blueprint=other.foundation.blueprint)
    return StructureFactory.build(site=site, hostname=hostname, blueprint=other.blueprint, foundation=foundation)


def test_hostname_taken_in_another_site_of_the_zone(zone_site, make_zone):
    """Two sites pointing at one zone cannot both have host 'web1' (any case); other zones can."""
    zone, site = zone_site
    first = StructureFactory(site=site, hostname="web1")
    sibling = SiteFactory(name="prod-b", zone=zone)
    with pytest.raises(ValidationError) as error:
        structure_like(first, sibling, "WEB1").full_clean()
    assert "hostname" in error.value.message_dict
    elsewhere = SiteFactory(name="lab", zone=make_zone(name="lab.example.com"))
    structure_like(first, elsewhere, "web1").full_clean()
    structure_like(first, SiteFactory(name="nozone"), "web1").full_clean()


def test_hostname_check_is_one_query(zone_site, django_assert_num_queries):
    """The zone-wide hostname check costs one query, whatever the number of sites in the zone."""
    zone, site = zone_site
    for index in range(3):
        StructureFactory(site=SiteFactory(name=f"s{index}", zone=zone), hostname=f"h{index}")
    structure = Structure(hostname="new", site_id=site.pk)
    with django_assert_num_queries(1):
        assert not structure._hostname_taken_in_zone()


def test_saved_structure_does_not_clash_with_itself(zone_site):
    """Re-validating an existing structure is fine."""
    _zone, site = zone_site
    StructureFactory(site=site, hostname="web1").full_clean()


def test_in_zone_name_server_needs_glue(db):
    """A name server inside the zone with no glue and no such structure is refused, naming it."""
    with pytest.raises(ValidationError) as error:
        zone_create(name="a.example.com", name_servers=["ns1.a.example.com", "ns.b.net"])
    assert "ns1.a.example.com" in str(error.value.message_dict["glue"])
    zone = zone_create(name="a.example.com", name_servers=["ns.b.net"])
    assert zone.glue == {}


def test_site_zone_set_clears(zone_site):
    """site_zone_set with None takes a site out of its zone."""
    _zone, site = zone_site
    assert site_zone_set(site=site, zone=None).zone is None


@pytest.mark.parametrize(
    ("subnet", "prefix", "count", "first"),
    [
        ("10.16.0.0", 20, 16, "0.16.10.in-addr.arpa"),
        ("10.0.0.0", 8, 1, "10.in-addr.arpa"),
        ("10.0.0.0", 9, 128, "0.10.in-addr.arpa"),
        ("192.168.1.128", 25, 1, "1.168.192.in-addr.arpa"),
        ("192.168.1.7", 32, 1, "1.168.192.in-addr.arpa"),
        ("16.0.0.0", 4, 16, "16.in-addr.arpa"),
        ("2001:db8::", 64, 1, "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        ("2001:db8::", 62, 4, "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        ("2001:db8::", 32, 1, "8.b.d.0.1.0.0.2.ip6.arpa"),
    ],
)
def test_reverse_origins_on_octet_and_nibble_boundaries(subnet, prefix, count, first):
    """A block spans reverse zones rounded up to an octet (IPv4, /8 to /24) or a nibble (IPv6)."""
    origins = naming.reverse_origins(subnet, prefix)
    assert len(origins) == count == len(set(origins))
    assert origins[0] == first


def test_address_names():
    """eth0.host for an interface, eth0-2.host for alias 2, v10.eth0.host on VLAN 10; unsafe characters become '-'."""
    assert naming.address_name("Web1", "eth0", None, 0) == "eth0.web1"
    assert naming.address_name("web1", "eth0", 2, 0) == "eth0-2.web1"
    assert naming.address_name("web1", "bond0", None, 10) == "v10.bond0.web1"
    assert naming.address_name("web1", "eth0.100_x", 1, 0) == "eth0-100-x-1.web1"


def test_extra_record_on_a_hostname_is_refused(zone_site):
    """An extra record named like a structure's hostname (which holds a CNAME) is refused, naming it."""
    from contractor.dns.services import zone_update

    zone, site = zone_site
    StructureFactory(site=site, hostname="Web1")
    with pytest.raises(ValidationError) as error:
        zone_update(zone=zone, extra_records=[{"type": "TXT", "name": "web1", "value": "x"}])
    assert "web1" in str(error.value.message_dict["extra_records"])
    zone_update(zone=zone, extra_records=[{"type": "TXT", "name": "www", "value": "x"}])
