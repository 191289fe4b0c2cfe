"""The /api/v1/zones/ collection: CRUD, validation, zone files over HTTP, reverse zones, query budgets."""

import pytest

from contractor.dns.models import Zone
from contractor.site.models import Site
from tests.factories import AddressBlockFactory, ManualFoundationFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/zones/"
ZONE = {
    "name": "prod.example.com",
    "name_servers": ["ns1.prod.example.com"],
    "glue": {"ns1.prod.example.com": ["192.0.2.53"]},
}


def test_create_and_read_zone(admin_client_api):
    """POST creates a zone with default timers; it is addressed by its name."""
    response = admin_client_api.post(URL, ZONE | {"contact": "dns.team@example.com"}, format="json")
    assert response.status_code == 201, response.data
    detail = admin_client_api.get(f"{URL}prod.example.com/")
    assert detail.status_code == 200
    assert detail.data["ttl"] == 3600
    assert detail.data["name_servers"] == ["ns1.prod.example.com"]
    assert detail.data["sites"] == []


def test_create_without_name_servers_is_a_400(admin_client_api):
    """A zone posted with no name_servers is a 400 naming the field (it was a 500 from zone_create)."""
    response = admin_client_api.post(URL, {"name": "lab.example.com"}, format="json")
    assert response.status_code == 400
    assert list(response.data) == ["name_servers"]


def test_names_are_normalised(admin_client_api):
    """Trailing dots and upper case are removed from the zone and name server names."""
    data = {"name": "Lab.Example.ORG.", "name_servers": ["NS.other.net."]}
    assert admin_client_api.post(URL, data, format="json").status_code == 201
    zone = Zone.objects.get()
    assert (zone.name, zone.name_servers) == ("lab.example.org", ["ns.other.net"])


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "localhost"}, "name", "domain name"),
        ({"name_servers": []}, "name_servers", "non-empty"),
        ({"glue": {"ns1.prod.example.com": ["not-an-ip"]}}, "glue", "not an IP"),
        ({"glue": {}}, "glue", "ns1.prod.example.com"),
        ({"ttl": 0}, "ttl", "greater than or equal"),
        ({"contact": "hostmaster"}, "contact", "email"),
        ({"extra_records": [{"type": "A", "name": "x", "value": "1.2.3.4"}]}, "extra_records", "type must be"),
        ({"extra_records": [{"type": "MX", "value": "mail"}]}, "extra_records", "priority"),
        (
            {"extra_records": [{"type": "SRV", "name": "_x._tcp", "priority": 1, "weight": 1, "value": "a"}]},
            "extra_records",
            "port",
        ),
        ({"extra_records": [{"type": "CNAME", "name": "@", "value": "www"}]}, "extra_records", "apex"),
        ({"extra_records": [{"type": "CNAME", "name": "a", "value": "bad name!"}]}, "extra_records", "not a host name"),
        ({"extra_records": [{"type": "TXT", "name": "a", "value": "x", "port": 1}]}, "extra_records", "take no port"),
        ({"extra_records": [{"type": "TXT", "name": "bad name", "value": "x"}]}, "extra_records", "is not '@'"),
    ],
)
def test_validation_errors_name_the_field(admin_client_api, change, field, words):
    """An invalid zone is a 400 naming the field and saying what is wrong."""
    response = admin_client_api.post(URL, ZONE | change, format="json")
    assert response.status_code == 400
    assert field in response.data, response.data
    assert words in str(response.data[field])


def test_update_and_delete(admin_client_api, make_zone):
    """PATCH changes a zone; DELETE removes an unused one."""
    make_zone()
    response = admin_client_api.patch(f"{URL}prod.example.com/", {"ttl": 300}, format="json")
    assert response.status_code == 200, response.data
    assert Zone.objects.get().ttl == 300
    assert admin_client_api.delete(f"{URL}prod.example.com/").status_code == 204
    assert not Zone.objects.exists()


def test_delete_zone_in_use_is_a_conflict(admin_client_api, zone_site):
    """Deleting a zone a site points at is a 409 naming the site."""
    response = admin_client_api.delete(f"{URL}prod.example.com/")
    assert response.status_code == 409
    assert "prod" in str(response.data)


def test_zonefile_endpoint(admin_client_api, zone_site, host_with_address, checkzone):
    """GET zonefile/ is the BIND zone file as text/plain; asking twice gives the same serial."""
    _zone, site = zone_site
    host_with_address(site, "web1", AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24), 10)
    response = admin_client_api.get(f"{URL}prod.example.com/zonefile/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "eth0.web1 IN A 10.1.2.10" in text
    checkzone("prod.example.com", text)
    assert admin_client_api.get(f"{URL}prod.example.com/zonefile/").content.decode() == text


def test_zonefile_serial_goes_up_after_a_change(admin_client_api, zone_site, host_with_address):
    """After a host is added, the zone file served over HTTP has a higher serial."""
    _zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24)
    first = admin_client_api.get(f"{URL}prod.example.com/zonefile/").content.decode()
    host_with_address(site, "web1", block, 10)
    second = admin_client_api.get(f"{URL}prod.example.com/zonefile/").content.decode()

    def serial(text):
        return int(text.split("( ", 1)[1].split(" ", 1)[0])

    assert serial(second) == serial(first) + 1


def test_reverse_zones_list_and_file(admin_client_api, zone_site, host_with_address, checkzone):
    """GET reverse/ lists the zone's reverse zones with serials and links; each link is its zone file."""
    _zone, site = zone_site
    host_with_address(site, "web1", AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=23), 10)
    response = admin_client_api.get(f"{URL}prod.example.com/reverse/")
    assert response.status_code == 200
    assert [row["origin"] for row in response.data] == ["2.1.10.in-addr.arpa", "3.1.10.in-addr.arpa"]
    assert response.data[0]["url"].endswith("/api/v1/zones/prod.example.com/reverse/2.1.10.in-addr.arpa/")
    assert response.data[0]["serial"] > 2000000000
    text = admin_client_api.get(response.data[0]["url"]).content.decode()
    assert "10 IN PTR eth0.web1.prod.example.com." in text
    checkzone("2.1.10.in-addr.arpa", text)
    assert admin_client_api.get(f"{URL}prod.example.com/reverse/9.9.10.in-addr.arpa/").status_code == 404


def test_filter_by_site(admin_client_api, zone_site, make_zone):
    """?site=<name> gives the zone that site points at."""
    make_zone(name="other.example.com")
    response = admin_client_api.get(URL, {"site": "prod"})
    assert [row["name"] for row in response.data["results"]] == ["prod.example.com"]


def test_anonymous_cannot_read(anon_client, make_zone):
    """Zones need an authenticated user."""
    make_zone()
    assert anon_client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("count", [2, 12])
def test_list_query_budget(admin_client_api, make_zone, django_assert_max_num_queries, count):
    """Listing zones with their sites takes the same few queries at any row count."""
    for index in range(count):
        zone = make_zone(name=f"z{index}.example.com")
        SiteFactory(name=f"site{index}", zone=zone)
    with django_assert_max_num_queries(6):
        response = admin_client_api.get(URL, {"limit": 50})
    assert len(response.data["results"]) == count


def test_site_zone_is_set_and_shown_by_name(admin_client_api, make_zone):
    """A site's zone is written and shown by the zone's name, and can be cleared."""
    make_zone()
    response = admin_client_api.post("/api/v1/sites/", {"name": "east", "zone": "prod.example.com"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["zone"] == "prod.example.com"
    assert Site.objects.get(name="east").zone.name == "prod.example.com"
    response = admin_client_api.patch("/api/v1/sites/east/", {"zone": None}, format="json")
    assert response.status_code == 200
    assert Site.objects.get(name="east").zone is None
    assert (
        admin_client_api.post("/api/v1/sites/", {"name": "w", "zone": "nope.example"}, format="json").status_code == 400
    )


def test_site_zone_change_refuses_hostname_clash(admin_client_api, zone_site):
    """Pointing a site at a zone where one of its hostnames is taken is a 400 naming the hostname."""
    _zone, site = zone_site
    StructureFactory(site=site, hostname="web1")
    other = SiteFactory(name="west")
    StructureFactory(site=other, hostname="WEB1")
    response = admin_client_api.patch("/api/v1/sites/west/", {"zone": "prod.example.com"}, format="json")
    assert response.status_code == 400
    assert "web1" in str(response.data["zone"])
    assert Site.objects.get(name="west").zone is None


def test_structure_hostname_taken_in_zone_is_a_400(admin_client_api, zone_site):
    """Creating a structure whose hostname another site of the same zone uses is a 400 on `hostname`."""
    zone, site = zone_site
    existing = StructureFactory(site=site, hostname="web1")
    sibling = SiteFactory(name="prod-b", zone=zone)
    ManualFoundationFactory(locator="node-b1", site=sibling, blueprint=existing.foundation.blueprint)
    body = {"hostname": "web1", "site": "prod-b", "blueprint": existing.blueprint.name, "foundation": "node-b1"}
    response = admin_client_api.post("/api/v1/structures/", body, format="json")
    assert response.status_code == 400
    assert "DNS zone" in str(response.data["hostname"])
    assert admin_client_api.post("/api/v1/structures/", body | {"hostname": "web2"}, format="json").status_code == 201


def test_api_and_writer_agree_on_the_serial(admin_client_api, zone_site, host_with_address, tmp_path):
    """The zone file served over HTTP is byte for byte the file dns_zones writes."""
    from contractor.dns.writer import zones_write

    _zone, site = zone_site
    host_with_address(site, "web1", AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24), 10)
    served = admin_client_api.get(f"{URL}prod.example.com/zonefile/").content.decode()
    assert zones_write(output=tmp_path).written  # the directory was empty
    assert (tmp_path / "prod.example.com.zone").read_text() == served
    reverse = admin_client_api.get(f"{URL}prod.example.com/reverse/2.1.10.in-addr.arpa/").content.decode()
    assert (tmp_path / "2.1.10.in-addr.arpa.zone").read_text() == reverse
