"""The /api/v1/ networks, address-blocks, addresses, interfaces and aggregated-interfaces endpoints."""

import pytest

from contractor.utilities import services
from contractor.utilities.models import Address, AddressBlock, Network, RealNetworkInterface
from tests.factories import ManualFoundationFactory, NetworkFactory, PXEFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def errors_of(response) -> set[str]:
    assert response.status_code == 400, response.content
    return set(response.json())


class TestNetworks:
    def test_crud(self, infra_client, site):
        """An infrastructure admin creates, reads, changes and deletes a network; the site is named."""
        created = infra_client.post(f"{API}/networks/", {"name": "prod", "site": "lab", "mtu": 9000}, format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert {key: body[key] for key in ("name", "site", "mtu", "address_blocks")} == {
            "name": "prod",
            "site": "lab",
            "mtu": 9000,
            "address_blocks": [],
        }
        url = f"{API}/networks/{body['id']}/"
        assert infra_client.patch(url, {"description": "main"}, format="json").json()["description"] == "main"
        assert infra_client.delete(url).status_code == 204
        assert not Network.objects.exists()

    def test_duplicate_name_in_site_is_400(self, infra_client, site):
        """A second network with the same name in the same site is refused."""
        NetworkFactory(name="prod", site=site)
        response = infra_client.post(f"{API}/networks/", {"name": "prod", "site": "lab"}, format="json")
        assert response.status_code == 400

    def test_bad_mtu_names_the_field(self, infra_client, site):
        """An MTU out of range is a 400 on `mtu`."""
        response = infra_client.post(f"{API}/networks/", {"name": "n", "site": "lab", "mtu": 100}, format="json")
        assert "mtu" in errors_of(response)

    def test_permissions(self, builder_client, viewer_client, anon_client, site):
        """Viewers and builders read networks; only infrastructure admins write them; anonymous gets nothing."""
        NetworkFactory(site=site)
        assert viewer_client.get(f"{API}/networks/").status_code == 200
        assert builder_client.post(f"{API}/networks/", {"name": "x", "site": "lab"}, format="json").status_code == 403
        assert anon_client.get(f"{API}/networks/").status_code in (401, 403)

    def test_filter_by_site(self, viewer_client, site):
        """?site= filters networks by site name."""
        NetworkFactory(name="here", site=site)
        NetworkFactory(name="there", site=SiteFactory(name="far"))
        names = [row["name"] for row in viewer_client.get(f"{API}/networks/?site=far").json()["results"]]
        assert names == ["there"]


class TestAddressBlocks:
    def test_create_with_cidr_and_gateway(self, infra_client, site):
        """A block is created from 'subnet/prefix' and a gateway address; netmask and size are derived."""
        network = NetworkFactory(site=site)
        data = {"name": "b", "site": "lab", "network": network.pk, "subnet": "10.3.0.0/23", "gateway": "10.3.1.254"}
        response = infra_client.post(f"{API}/address-blocks/", data, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["subnet"], body["prefix"], body["gateway"]) == ("10.3.0.0", 23, "10.3.1.254")
        assert (body["netmask"], body["size"], body["vlan"]) == ("255.255.254.0", 512, 0)
        assert AddressBlock.objects.get().gateway_offset == 510

    def test_overlap_is_400_on_subnet(self, infra_client, block):
        """An overlapping block in the same site is a 400 naming `subnet`."""
        data = {"name": "b2", "site": "lab", "subnet": "10.0.0.128", "prefix": 25}
        assert "subnet" in errors_of(infra_client.post(f"{API}/address-blocks/", data, format="json"))

    def test_gateway_outside_is_400_on_gateway(self, infra_client, site):
        """A gateway outside the subnet is a 400 naming `gateway`."""
        data = {"name": "b", "site": "lab", "subnet": "10.0.0.0/24", "gateway": "10.0.1.1"}
        assert "gateway" in errors_of(infra_client.post(f"{API}/address-blocks/", data, format="json"))

    def test_update_and_clear_gateway(self, infra_client, block):
        """PATCH changes the gateway by address, and null clears it."""
        url = f"{API}/address-blocks/{block.pk}/"
        assert infra_client.patch(url, {"gateway": "10.0.0.254"}, format="json").json()["gateway"] == "10.0.0.254"
        assert infra_client.patch(url, {"gateway": None}, format="json").json()["gateway"] is None
        block.refresh_from_db()
        assert block.gateway_offset is None

    def test_filters(self, viewer_client, make_block, site):
        """?site=, ?network= and ?name= filter blocks."""
        network = NetworkFactory(site=site)
        make_block(name="a", network=network)
        make_block(name="b", subnet="10.0.1.0/24", gateway=None)
        make_block(name="c", subnet="10.0.0.0/24", site=SiteFactory(name="far"))

        def names(query):
            return [row["name"] for row in viewer_client.get(f"{API}/address-blocks/?{query}").json()["results"]]

        assert names("site=lab") == ["a", "b"]
        assert names(f"network={network.pk}") == ["a"]
        assert names("name=c") == ["c"]

    def test_delete_with_addresses_is_refused(self, infra_client, block, reserve):
        """A block still holding addresses cannot be deleted: a 409 naming them (issue 10: in use is a conflict)."""
        reserve(block, 1)
        response = infra_client.delete(f"{API}/address-blocks/{block.pk}/")
        assert response.status_code == 409 and "is in use by address" in response.json()["non_field_errors"][0]
        assert AddressBlock.objects.filter(pk=block.pk).exists()

    def test_builder_cannot_change_blocks(self, builder_client, block):
        """Builders may not create or change address blocks."""
        response = builder_client.patch(f"{API}/address-blocks/{block.pk}/", {"vlan": 5}, format="json")
        assert response.status_code == 403


class TestAllocateAction:
    def test_allocate_lowest_free(self, builder_client, block, structure):
        """POST allocate/ with no address takes the lowest free one and returns the new address."""
        body = {"kind": "static", "structure": structure.pk, "interface_name": "eth0", "is_primary": True}
        response = builder_client.post(f"{API}/address-blocks/{block.pk}/allocate/", body, format="json")
        assert response.status_code == 201, response.content
        assert {k: response.json()[k] for k in ("address", "offset", "address_block", "is_primary")} == {
            "address": "10.0.0.2",
            "offset": 2,
            "address_block": block.pk,
            "is_primary": True,
        }

    def test_allocate_a_given_address(self, builder_client, block):
        """POST allocate/ with `address` takes exactly that one."""
        body = {"kind": "reserved", "address": "10.0.0.200", "reason": "printer"}
        response = builder_client.post(f"{API}/address-blocks/{block.pk}/allocate/", body, format="json")
        assert response.status_code == 201
        assert Address.objects.get().offset == 200

    @pytest.mark.parametrize("ip", ["10.0.1.200", "10.0.0.1", "10.0.0.255", "bad"])
    def test_address_not_allocatable_is_400_on_address(self, builder_client, block, ip):
        """An address outside the block, the gateway or the broadcast is a 400 naming `address`."""
        body = {"kind": "reserved", "address": ip}
        response = builder_client.post(f"{API}/address-blocks/{block.pk}/allocate/", body, format="json")
        assert "address" in errors_of(response)

    def test_static_without_interface_is_400(self, builder_client, block, structure):
        """A static address with no interface name is a 400 naming `interface_name`."""
        body = {"kind": "static", "structure": structure.pk}
        response = builder_client.post(f"{API}/address-blocks/{block.pk}/allocate/", body, format="json")
        assert "interface_name" in errors_of(response)

    def test_full_block_is_400(self, builder_client, make_block):
        """Allocating from a full block is a 400 that says so."""
        block = make_block(subnet="10.0.0.8/31", gateway=None)
        url = f"{API}/address-blocks/{block.pk}/allocate/"
        for _ in range(2):
            assert builder_client.post(url, {"kind": "reserved"}, format="json").status_code == 201
        response = builder_client.post(url, {"kind": "reserved"}, format="json")
        assert "full" in response.json()["address_block"][0]

    def test_viewer_cannot_allocate(self, viewer_client, block):
        """Allocating needs the add-address permission."""
        response = viewer_client.post(f"{API}/address-blocks/{block.pk}/allocate/", {"kind": "reserved"})
        assert response.status_code == 403
        assert not Address.objects.exists()

    def test_next_free_and_usage(self, viewer_client, block, reserve):
        """next-free/ names the next address without taking it; usage/ counts the block."""
        reserve(block, 2)
        next_free = viewer_client.get(f"{API}/address-blocks/{block.pk}/next-free/").json()
        assert next_free == {"address": "10.0.0.4", "offset": 4}
        usage = viewer_client.get(f"{API}/address-blocks/{block.pk}/usage/").json()
        assert (usage["total"], usage["used"], usage["free"], usage["by_kind"]["reserved"]) == (253, 2, 251, 2)
        assert Address.objects.count() == 2

    def test_next_free_of_a_full_block_is_null(self, viewer_client, make_block, reserve):
        """next-free/ of a full block answers null rather than an error."""
        block = make_block(subnet="10.0.0.9/32", gateway=None)
        reserve(block, 1)
        assert viewer_client.get(f"{API}/address-blocks/{block.pk}/next-free/").json() == {
            "address": None,
            "offset": None,
        }


class TestAddresses:
    def test_create_by_address_and_by_nothing(self, builder_client, block):
        """POST addresses/ converts `address` to its offset; without address or offset it allocates the lowest."""
        by_ip = builder_client.post(
            f"{API}/addresses/", {"address_block": block.pk, "kind": "reserved", "address": "10.0.0.9"}, format="json"
        )
        assert (by_ip.status_code, by_ip.json()["offset"]) == (201, 9)
        lowest = builder_client.post(f"{API}/addresses/", {"address_block": block.pk, "kind": "dynamic"}, format="json")
        assert lowest.json()["address"] == "10.0.0.2"

    def test_address_and_offset_must_agree(self, builder_client, block):
        """Giving both address and a different offset is a 400 on `address`."""
        body = {"address_block": block.pk, "kind": "reserved", "address": "10.0.0.9", "offset": 10}
        assert "address" in errors_of(builder_client.post(f"{API}/addresses/", body, format="json"))

    def test_taken_address_is_400(self, builder_client, block, reserve):
        """An address already allocated is a 400 naming `address`."""
        reserve(block, 1)
        body = {"address_block": block.pk, "kind": "reserved", "address": "10.0.0.2"}
        assert "offset" in errors_of(builder_client.post(f"{API}/addresses/", body, format="json"))

    def test_update_moves_and_delete_releases(self, builder_client, block, reserve):
        """PATCH with a new address moves it in its block; DELETE releases it."""
        (address,) = reserve(block, 1)
        url = f"{API}/addresses/{address.pk}/"
        response = builder_client.patch(url, {"address": "10.0.0.50", "reason": "moved"}, format="json")
        assert (response.json()["offset"], response.json()["reason"]) == (50, "moved")
        assert builder_client.delete(url).status_code == 204
        assert not Address.objects.exists()

    def test_address_cannot_change_block(self, builder_client, make_block, reserve):
        """An address cannot be moved to another block by PATCH."""
        first, second = make_block(), make_block(subnet="10.0.1.0/24", gateway=None)
        (address,) = reserve(first, 1)
        response = builder_client.patch(f"{API}/addresses/{address.pk}/", {"address_block": second.pk}, format="json")
        assert "address_block" in errors_of(response)

    def test_filters(self, viewer_client, make_block, structure, reserve):
        """?address=, ?kind=, ?structure= and ?address_block= filter addresses."""
        first, second = make_block(), make_block(subnet="10.0.1.0/24", gateway=None)
        reserve(first, 2)
        reserve(second, 2)
        services.address_allocate(address_block=second, kind="static", structure=structure, interface_name="eth0")

        def ips(query):
            return [row["address"] for row in viewer_client.get(f"{API}/addresses/?{query}").json()["results"]]

        assert ips("address=10.0.1.2") == ["10.0.1.2"]
        assert ips("address=10.9.9.9") == []
        assert ips("kind=static") == ["10.0.1.3"]
        assert ips(f"structure={structure.pk}") == ["10.0.1.3"]
        assert ips(f"address_block={first.pk}") == ["10.0.0.2", "10.0.0.3"]

    def test_pxe_by_name(self, builder_client, block):
        """A dynamic address names its PXE by name."""
        PXEFactory(name="installer")
        body = {"address_block": block.pk, "kind": "dynamic", "pxe": "installer"}
        assert builder_client.post(f"{API}/addresses/", body, format="json").json()["pxe"] == "installer"


class TestInterfaces:
    def test_create_by_locator_and_mac_in_use(self, builder_client, site):
        """An interface names its foundation by locator; a MAC already in use is a 400 on `mac`."""
        ManualFoundationFactory(locator="n1", site=site)
        ManualFoundationFactory(locator="n2", site=site)
        body = {"foundation": "n1", "name": "eth0", "mac": "AA:BB:CC:00:11:22", "is_provisioning": True}
        response = builder_client.post(f"{API}/interfaces/", body, format="json")
        assert response.status_code == 201, response.content
        assert (response.json()["foundation"], response.json()["mac"]) == ("n1", "aa:bb:cc:00:11:22")
        clash = {"foundation": "n2", "name": "eth0", "mac": "aa:bb:cc:00:11:22"}
        assert "mac" in errors_of(builder_client.post(f"{API}/interfaces/", clash, format="json"))

    def test_bad_mac_and_second_provisioning(self, builder_client, site):
        """A malformed MAC names `mac`; a second provisioning interface names `is_provisioning`."""
        ManualFoundationFactory(locator="n1", site=site)
        bad = {"foundation": "n1", "name": "eth0", "mac": "nope"}
        assert "mac" in errors_of(builder_client.post(f"{API}/interfaces/", bad, format="json"))
        for name in ("eth0", "eth1"):
            response = builder_client.post(
                f"{API}/interfaces/", {"foundation": "n1", "name": name, "is_provisioning": True}, format="json"
            )
        assert "is_provisioning" in errors_of(response)

    def test_filter_by_foundation_and_mac(self, viewer_client, site):
        """?foundation= (locator) and ?mac= (any case or separator) filter interfaces."""
        mine = ManualFoundationFactory(locator="mine", site=site)
        services.interface_create(foundation=mine, name="eth0", mac="02:00:00:00:00:01")
        services.interface_create(foundation=ManualFoundationFactory(), name="eth0", mac="02:00:00:00:00:02")
        rows = viewer_client.get(f"{API}/interfaces/?foundation=mine").json()["results"]
        assert [row["mac"] for row in rows] == ["02:00:00:00:00:01"]
        rows = viewer_client.get(f"{API}/interfaces/?mac=02-00-00-00-00-02").json()["results"]
        assert [row["mac"] for row in rows] == ["02:00:00:00:00:02"]

    def test_aggregated_interface(self, builder_client, structure):
        """A bond is made on a structure from its foundation's interfaces; members are ids."""
        eth0 = services.interface_create(foundation=structure.foundation, name="eth0")
        eth1 = services.interface_create(foundation=structure.foundation, name="eth1")
        body = {
            "structure": structure.pk,
            "name": "bond0",
            "primary": eth0.pk,
            "members": [eth0.pk, eth1.pk],
            "mode": "802.3ad",
            "parameters": {"miimon": 100},
        }
        response = builder_client.post(f"{API}/aggregated-interfaces/", body, format="json")
        assert response.status_code == 201, response.content
        assert sorted(response.json()["members"]) == sorted([eth0.pk, eth1.pk])
        url = f"{API}/aggregated-interfaces/{response.json()['id']}/"
        assert builder_client.patch(url, {"members": [eth1.pk]}, format="json").json()["members"] == [eth1.pk]

    def test_aggregate_member_from_another_foundation_is_400(self, builder_client, structure):
        """A member on a different foundation is a 400 naming `members`."""
        eth0 = services.interface_create(foundation=structure.foundation, name="eth0")
        stranger = RealNetworkInterface.objects.create(foundation=ManualFoundationFactory(), name="eth9")
        body = {"structure": structure.pk, "name": "bond0", "primary": eth0.pk, "members": [stranger.pk]}
        assert "members" in errors_of(builder_client.post(f"{API}/aggregated-interfaces/", body, format="json"))


def _populate(site, start: int, count: int) -> None:
    """Rows `start` .. `start + count - 1` of every utilities model, each with its related objects."""
    pxe = PXEFactory()
    for index in range(start, start + count):
        network = NetworkFactory(site=site, name=f"net{index}")
        block = services.address_block_create(
            site=site, name=f"b{index}", subnet=f"10.{index}.0.0/24", gateway=f"10.{index}.0.1", network=network
        )
        structure = StructureFactory(site=site)
        services.address_allocate(
            address_block=block, kind="static", structure=structure, interface_name="eth0", pxe=pxe
        )
        eth0 = services.interface_create(foundation=structure.foundation, name="eth0", pxe=pxe, network=network)
        services.aggregated_interface_create(structure=structure, name="bond0", primary=eth0, members=[eth0])


@pytest.mark.parametrize(
    "collection", ["networks", "address-blocks", "addresses", "interfaces", "aggregated-interfaces"]
)
def test_list_query_budget(collection, admin_client_api, site, django_assert_max_num_queries):
    """Each list stays within the same small query budget with 2 rows and with 12."""
    for start, count in ((0, 2), (2, 10)):
        _populate(site, start, count)
        with django_assert_max_num_queries(6):
            response = admin_client_api.get(f"{API}/{collection}/")
        assert response.status_code == 200
        assert response.json()["count"] == start + count
