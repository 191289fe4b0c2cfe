"""A zone set on a site covers its sub-sites; a sub-site naming its own zone wins for its subtree."""

import pytest
from django.core.exceptions import ValidationError

from contractor.dns.writer import zones_write
from contractor.site.services import site_update
from tests.factories import AddressBlockFactory, ManualFoundationFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(make_zone):
    """dc (zone dc.example.com) > rack1 > shelf, and dc > lab (zone lab.example.com) > bench."""
    dc_zone, lab_zone = make_zone(name="dc.example.com"), make_zone(name="lab.example.com")
    dc = SiteFactory(name="dc", zone=dc_zone)
    rack = SiteFactory(name="rack1", parent=dc)
    shelf = SiteFactory(name="shelf", parent=rack)
    lab = SiteFactory(name="lab", parent=dc, zone=lab_zone)
    bench = SiteFactory(name="bench", parent=lab)
    return {"dc": dc, "rack": rack, "shelf": shelf, "lab": lab, "bench": bench}


def structure_in(site, hostname, like=None):
    """An unsaved structure in `site` on a fresh foundation (with `like`'s blueprints when given)."""
    if like is None:
        return StructureFactory.build(site=site, hostname=hostname, foundation=ManualFoundationFactory(site=site))
    foundation = ManualFoundationFactory(site=site, blueprint=like.foundation.blueprint)
    return StructureFactory.build(site=site, hostname=hostname, blueprint=like.blueprint, foundation=foundation)


def test_zone_files_hold_the_records_of_sub_sites(tree, host_with_address, tmp_path, checkzone):
    """Hosts of rack1 and shelf land in dc's zone (and its reverse zone); bench lands in lab's own zone."""
    block = AddressBlockFactory(site=tree["shelf"], subnet="10.20.0.0", prefix=24)
    host_with_address(tree["rack"], "web1", AddressBlockFactory(site=tree["rack"], subnet="10.21.0.0", prefix=24), 5)
    host_with_address(tree["shelf"], "db1", block, 6)
    host_with_address(tree["bench"], "probe", AddressBlockFactory(site=tree["bench"], subnet="10.22.0.0", prefix=24), 7)
    zones_write(output=tmp_path)
    dc = (tmp_path / "dc.example.com.zone").read_text()
    lab = (tmp_path / "lab.example.com.zone").read_text()
    assert "eth0.web1 IN A 10.21.0.5" in dc and "eth0.db1 IN A 10.20.0.6" in dc
    assert "probe" not in dc
    assert "eth0.probe IN A 10.22.0.7" in lab and "web1" not in lab
    reverse = (tmp_path / "0.20.10.in-addr.arpa.zone").read_text()
    assert "6 IN PTR eth0.db1.dc.example.com." in reverse
    assert "ns1.dc.example.com." in reverse
    for origin in ("dc.example.com", "lab.example.com", "0.20.10.in-addr.arpa", "0.22.10.in-addr.arpa"):
        checkzone(origin, (tmp_path / f"{origin}.zone").read_text())


def test_hostname_is_unique_in_the_zone_a_structure_lands_in(tree):
    """web1 in rack1 takes web1 in shelf and dc (all in dc's zone), not in bench (lab's own zone)."""
    first = StructureFactory(site=tree["rack"], hostname="web1")
    for site in ("shelf", "dc"):
        with pytest.raises(ValidationError) as error:
            structure_in(tree[site], "Web1", like=first).full_clean()
        assert "hostname" in error.value.message_dict
    structure_in(tree["bench"], "web1", like=first).full_clean()
    structure_in(SiteFactory(name="elsewhere"), "web1", like=first).full_clean()


def test_zone_on_a_parent_refused_when_sub_sites_clash(make_zone):
    """Giving a parent a zone moves its sub-sites in: two sub-sites' web1 (or one already in the zone) clash."""
    zone = make_zone(name="dc.example.com")
    dc = SiteFactory(name="dc")
    first = StructureFactory(site=SiteFactory(name="rack1", parent=dc), hostname="web1")
    StructureFactory(site=SiteFactory(name="rack2", parent=dc), hostname="WEB1", blueprint=first.blueprint)
    with pytest.raises(ValidationError) as error:
        site_update(site=dc, zone=zone)
    assert "web1" in str(error.value.message_dict["zone"]).lower()
    dc.refresh_from_db()
    assert dc.zone_id is None


def test_moving_a_site_under_a_zone_refused_on_parent(tree):
    """Moving a site under dc (its zone) while one of its hosts' names is used there is a 400 on parent."""
    first = StructureFactory(site=tree["rack"], hostname="web1")
    loose = SiteFactory(name="loose")
    StructureFactory(site=SiteFactory(name="loose-child", parent=loose), hostname="web1", blueprint=first.blueprint)
    with pytest.raises(ValidationError) as error:
        site_update(site=loose, parent=tree["dc"])
    assert "web1" in str(error.value.message_dict["parent"])
    site_update(site=loose, parent=tree["lab"], zone=None)  # lab's zone has no web1
    # A sub-site naming its own zone takes its subtree out of the parent's zone, so no clash there.
    other = SiteFactory(name="other", zone=tree["lab"].zone)
    StructureFactory(site=other, hostname="db9", blueprint=first.blueprint)
    moved = SiteFactory(name="moved", zone=tree["dc"].zone)
    StructureFactory(site=moved, hostname="db9", blueprint=first.blueprint)
    site_update(site=moved, parent=tree["lab"])
