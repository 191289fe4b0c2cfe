"""RFC 2317 classless reverse zones: a block under a /24 with the option has its own reverse zone, which its /24's
zone delegates to and points a CNAME per address into; the option is refused where it means nothing."""

import pytest

from contractor.dns import state
from tests.factories import AddressBlockFactory, SiteFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def render_all() -> dict[str, str]:
    return {origin: text.text(2026010100) for origin, text in state.all_zones().items()}


def test_a_classless_block_gets_its_own_zone_and_cnames_in_its_24(zone_site, host_with_address, checkzone):
    """10.1.2.64/26 with the option: PTRs in 64-26.2.1.10.in-addr.arpa; the /24 holds NS and 64 CNAMEs into it."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.64", prefix=26, gateway_offset=None, classless_reverse=True)
    host_with_address(site, "web1", block, 6)
    texts = render_all()
    child, parent = texts["64-26.2.1.10.in-addr.arpa"], texts["2.1.10.in-addr.arpa"]
    assert "$ORIGIN 64-26.2.1.10.in-addr.arpa." in child
    assert "70 IN PTR eth0.web1.prod.example.com." in child
    assert "@ IN NS ns1.prod.example.com." in child
    assert "64-26 IN NS ns1.prod.example.com." in parent
    cnames = [line for line in parent.splitlines() if " IN CNAME " in line]
    assert len(cnames) == 64 and cnames[0] == "64 IN CNAME 64.64-26" and cnames[-1] == "127 IN CNAME 127.64-26"
    assert "70 IN CNAME 70.64-26" in cnames and "PTR" not in parent
    checkzone("64-26.2.1.10.in-addr.arpa", child)
    checkzone("2.1.10.in-addr.arpa", parent)


def test_without_the_option_a_small_block_uses_its_24(zone_site, host_with_address):
    """The default is unchanged: a /26's PTRs sit in its enclosing /24 and there is no classless zone."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.64", prefix=26, gateway_offset=None)
    host_with_address(site, "web1", block, 6)
    texts = render_all()
    assert "70 IN PTR eth0.web1.prod.example.com." in texts["2.1.10.in-addr.arpa"]
    assert sorted(texts) == ["2.1.10.in-addr.arpa", "prod.example.com"]


def test_two_classless_blocks_share_their_24(zone_site, host_with_address, checkzone):
    """Two /27s with the option under one /24: two zones, and the /24 delegates both."""
    _zone, site = zone_site
    for index, subnet in enumerate(("10.1.2.0", "10.1.2.32")):
        block = AddressBlockFactory(site=site, subnet=subnet, prefix=27, gateway_offset=None, classless_reverse=True)
        host_with_address(site, f"h{index}", block, 5)
    texts = render_all()
    assert "5 IN PTR eth0.h0.prod.example.com." in texts["0-27.2.1.10.in-addr.arpa"]
    assert "37 IN PTR eth0.h1.prod.example.com." in texts["32-27.2.1.10.in-addr.arpa"]
    parent = texts["2.1.10.in-addr.arpa"]
    assert "0-27 IN NS" in parent and "32-27 IN NS" in parent and "37 IN CNAME 37.32-27" in parent
    checkzone("2.1.10.in-addr.arpa", parent)


class TestTheOption:
    @pytest.mark.parametrize("subnet", ["10.0.0.0/24", "10.0.0.0/16", "2001:db8::/120"])
    def test_refused_where_it_means_nothing(self, infra_client, subnet):
        """Only IPv4 blocks under a /24 (/25 to /32) take it: otherwise a 400 naming classless_reverse."""
        SiteFactory(name="lab")
        data = {"name": "b", "site": "lab", "subnet": subnet, "classless_reverse": True}
        response = infra_client.post(f"{API}/address-blocks/", data, format="json")
        assert response.status_code == 400 and "classless_reverse" in response.json(), response.content

    def test_set_and_read_over_the_api(self, infra_client):
        """A /28 takes the option on create and PATCH, and the API shows it."""
        SiteFactory(name="lab")
        data = {"name": "b", "site": "lab", "subnet": "10.0.0.16/28"}
        created = infra_client.post(f"{API}/address-blocks/", data, format="json").json()
        assert created["classless_reverse"] is False
        url = f"{API}/address-blocks/{created['id']}/"
        assert infra_client.patch(url, {"classless_reverse": True}, format="json").json()["classless_reverse"] is True

    def test_in_the_admin_form(self, client, make_user, zone_site):
        """The admin's block form offers the option."""
        client.force_login(make_user("root", superuser=True))
        page = client.get("/admin/utilities/addressblock/add/").content.decode()
        assert 'name="classless_reverse"' in page and "RFC 2317" in page
