"""Validation of address blocks, addresses and interfaces by the utilities services."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contractor.utilities import services
from contractor.utilities.models import AddressBlock
from tests.factories import ManualFoundationFactory, NetworkFactory, SiteFactory

pytestmark = pytest.mark.django_db


def field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


class TestAddressBlock:
    def test_subnet_is_normalised(self, make_block):
        """A subnet written with its prefix, spaces or long IPv6 form is stored canonically."""
        v4 = make_block(subnet=" 10.1.0.0/16 ", gateway=None)
        v6 = make_block(subnet="2001:0DB8:0000::", prefix=64, gateway="2001:db8::1")
        assert (v4.subnet, v4.prefix) == ("10.1.0.0", 16)
        assert (v6.subnet, v6.prefix, v6.gateway_offset) == ("2001:db8::", 64, 1)

    def test_host_bits_are_refused(self, make_block):
        """A subnet with host bits set is refused on `subnet` rather than silently masked."""
        with pytest.raises(ValidationError) as excinfo:
            make_block(subnet="10.0.0.5/24", gateway=None)
        assert "subnet" in field_errors(excinfo)

    def test_prefix_disagreeing_with_subnet_is_refused(self, make_block):
        """A /n in the subnet that contradicts the prefix argument is an error on `prefix`."""
        with pytest.raises(ValidationError) as excinfo:
            make_block(subnet="10.0.0.0/24", prefix=16, gateway=None)
        assert "prefix" in field_errors(excinfo)

    @pytest.mark.parametrize(
        "first, second",
        [("10.0.0.0/16", "10.0.5.0/24"), ("10.0.5.0/24", "10.0.0.0/16"), ("2001:db8::/48", "2001:db8:0:1::/64")],
    )
    def test_overlap_in_a_site_is_refused(self, make_block, first, second):
        """Two blocks of one site may not overlap, for IPv4 and IPv6, whichever is bigger."""
        make_block(subnet=first, gateway=None)
        with pytest.raises(ValidationError) as excinfo:
            make_block(subnet=second, gateway=None)
        assert "overlaps" in field_errors(excinfo)["subnet"][0]

    def test_overlap_across_sites_is_allowed(self, make_block):
        """The same subnet may be used in two different sites."""
        make_block(subnet="192.168.0.0/24", gateway="192.168.0.1")
        make_block(subnet="192.168.0.0/24", gateway=None, site=SiteFactory(name="other"))
        assert AddressBlock.objects.filter(subnet="192.168.0.0").count() == 2

    def test_overlap_along_the_site_ancestry_is_refused(self, make_block, site):
        """A sub-site's block may not overlap its ancestors' blocks, nor a parent's its descendants' (any depth)."""
        rack = SiteFactory(name="rack1", parent=site)
        shelf = SiteFactory(name="shelf", parent=rack)
        make_block(subnet="10.9.0.0/16", gateway=None)
        with pytest.raises(ValidationError) as excinfo:
            make_block(subnet="10.9.4.0/24", gateway=None, site=shelf, name="deep")
        assert f"site {site.name}" in field_errors(excinfo)["subnet"][0]
        make_block(subnet="10.10.4.0/24", gateway=None, site=shelf, name="deep")
        with pytest.raises(ValidationError) as excinfo:
            make_block(subnet="10.10.0.0/16", gateway=None, site=rack, name="wide")
        assert "site shelf" in field_errors(excinfo)["subnet"][0]

    def test_unrelated_sibling_sites_may_reuse_a_subnet(self, make_block, site):
        """Two racks of one site (neither above the other) may each use 10.20.0.0/24."""
        make_block(subnet="10.20.0.0/24", gateway=None, site=SiteFactory(name="rack-a", parent=site), name="a")
        make_block(subnet="10.20.0.0/24", gateway=None, site=SiteFactory(name="rack-b", parent=site), name="b")
        assert AddressBlock.objects.filter(subnet="10.20.0.0").count() == 2

    def test_v4_and_v6_never_overlap(self, make_block):
        """An IPv4 block and an IPv6 block in the same site do not conflict."""
        make_block(subnet="0.0.0.0/0", gateway=None)
        make_block(subnet="::/0", gateway=None)
        assert AddressBlock.objects.count() == 2

    @pytest.mark.parametrize("gateway", ["10.0.1.1", "10.0.0.0", "10.0.0.255", "not-an-ip"])
    def test_gateway_must_be_a_usable_address_of_the_block(self, make_block, gateway):
        """A gateway outside the block, on its network or broadcast address, or not an IP, names `gateway`."""
        with pytest.raises(ValidationError) as excinfo:
            make_block(gateway=gateway)
        assert "gateway" in field_errors(excinfo)

    def test_gateway_is_stored_as_an_offset(self, make_block):
        """The gateway address is converted to its offset in the block and read back as an address."""
        block = make_block(subnet="172.16.4.0/22", gateway="172.16.7.254")
        assert block.gateway_offset == 1022
        assert block.gateway == "172.16.7.254"

    def test_network_must_be_in_the_same_site(self, make_block):
        """A block's network must belong to the block's site."""
        with pytest.raises(ValidationError) as excinfo:
            make_block(network=NetworkFactory(site=SiteFactory(name="elsewhere")))
        assert "network" in field_errors(excinfo)

    def test_shrinking_may_not_strand_addresses(self, block, reserve):
        """A smaller prefix that would leave an allocated address outside the block is refused."""
        reserve(block, 1, start=200)
        with pytest.raises(ValidationError) as excinfo:
            services.address_block_update(address_block=block, prefix=25)
        assert "prefix" in field_errors(excinfo)

    def test_renumbering_keeps_offsets(self, block, reserve):
        """A new subnet renumbers the block: addresses and gateway keep their offsets."""
        (address,) = reserve(block, 1)
        services.address_block_update(address_block=block, subnet="10.9.9.0")
        address.refresh_from_db()
        assert (address.ip_address, block.gateway) == ("10.9.9.2", "10.9.9.1")

    def test_gateway_may_not_move_onto_an_address(self, block, reserve):
        """Moving the gateway onto an allocated address is refused on `gateway`."""
        reserve(block, 1, start=50)
        with pytest.raises(ValidationError) as excinfo:
            services.address_block_update(address_block=block, gateway="10.0.0.50")
        assert "gateway" in field_errors(excinfo)

    def test_block_with_addresses_cannot_be_deleted(self, block, reserve):
        """Deleting a block that still holds addresses is refused (a conflict, 409 over the API) naming them."""
        reserve(block, 1)
        with pytest.raises(IntegrityError, match=r"is in use by address 10\.0\.0\.2"):
            services.address_block_delete(address_block=block)
        assert AddressBlock.objects.filter(pk=block.pk).exists()


class TestAddress:
    def test_static_needs_interface_and_structure(self, block, structure):
        """A static address without an interface name (or structure) is refused on `interface_name`."""
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(address_block=block, kind="static", structure=structure)
        assert "interface_name" in field_errors(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(address_block=block, kind="static", interface_name="eth0")
        assert "interface_name" in field_errors(excinfo)

    def test_reserved_address_is_not_on_a_structure(self, block, structure):
        """Only static addresses belong to a structure."""
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(address_block=block, kind="reserved", structure=structure)
        assert "structure" in field_errors(excinfo)

    @pytest.mark.parametrize("offset", [0, 255, 256, 1])
    def test_offsets_outside_the_usable_range_or_on_the_gateway_are_refused(self, block, offset):
        """Network (0), broadcast (255), beyond the block (256) and the gateway (1) cannot be allocated."""
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(address_block=block, kind="reserved", offset=offset)
        assert "offset" in field_errors(excinfo)

    def test_taken_offset_is_refused(self, block, reserve):
        """Allocating an explicit offset that is already taken names `offset`."""
        reserve(block, 1, start=7)
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(address_block=block, kind="reserved", offset=7)
        assert "already allocated" in field_errors(excinfo)["offset"][0]

    def test_one_primary_per_structure(self, block, structure):
        """A structure has at most one primary address; the second is refused on `is_primary`."""
        services.address_allocate(
            address_block=block, kind="static", structure=structure, interface_name="eth0", is_primary=True
        )
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(
                address_block=block, kind="static", structure=structure, interface_name="eth1", is_primary=True
            )
        assert "is_primary" in field_errors(excinfo)

    def test_interface_alias_slot_is_unique(self, block, structure):
        """An interface has one main address and one address per alias index."""
        static = {"address_block": block, "kind": "static", "structure": structure, "interface_name": "eth0"}
        services.address_allocate(**static)
        services.address_allocate(**static, alias_index=1)
        with pytest.raises(ValidationError) as excinfo:
            services.address_allocate(**static, alias_index=1)
        assert "alias_index" in field_errors(excinfo)

    def test_dual_stack_interface_holds_one_ipv4_and_one_ipv6_main_address(self, make_block, structure):
        """eth0 takes one IPv4 and one IPv6 main address; a second of either family is refused on alias_index."""
        v4 = make_block(subnet="10.0.0.0/24", gateway=None, name="v4")
        v6 = make_block(subnet="2001:db8::/64", gateway=None, name="v6")
        other_v4 = make_block(subnet="10.1.0.0/24", gateway=None, name="v4b")
        static = {"kind": "static", "structure": structure, "interface_name": "eth0"}
        services.address_allocate(address_block=v4, is_primary=True, **static)
        assert services.address_allocate(address_block=v6, **static).ip_address == "2001:db8::1"
        for block, family in ((v4, "IPv4"), (other_v4, "IPv4"), (v6, "IPv6")):
            with pytest.raises(ValidationError) as excinfo:
                services.address_allocate(address_block=block, **static)
            assert f"already has an {family} main address" in field_errors(excinfo)["alias_index"][0]
        services.address_allocate(address_block=other_v4, kind="static", structure=structure, interface_name="eth1")

    def test_dual_stack_over_the_api(self, make_block, structure, admin_client_api):
        """POST /api/v1/addresses/ for an IPv6 main address next to the IPv4 one is a 201; a second IPv6 a 400."""
        v4 = make_block(subnet="10.0.0.0/24", gateway=None, name="v4")
        v6 = make_block(subnet="2001:db8::/64", gateway=None, name="v6")
        body = {"kind": "static", "structure": structure.pk, "interface_name": "eth0"}
        for block, address, code in ((v4, "10.0.0.9", 201), (v6, "2001:db8::9", 201), (v6, "2001:db8::10", 400)):
            response = admin_client_api.post(
                "/api/v1/addresses/", {**body, "address_block": block.pk, "address": address}, format="json"
            )
            assert response.status_code == code, response.content
        assert "alias_index" in response.json()

    def test_address_offset_names_the_address_field(self, block):
        """Converting an IP outside the block, or a reserved one, reports on `address`."""
        for ip in ("10.0.1.5", "10.0.0.255", "10.0.0.1", "bogus"):
            with pytest.raises(ValidationError) as excinfo:
                services.address_offset(address_block=block, address=ip)
            assert "address" in field_errors(excinfo)
        assert services.address_offset(address_block=block, address="10.0.0.77") == 77


class TestInterfaces:
    @pytest.fixture
    def foundation(self, site):
        return ManualFoundationFactory(site=site)

    @pytest.mark.parametrize("mac", ["aa:bb:cc:dd:ee", "zz:bb:cc:dd:ee:ff", "aabbccddeeff", "aa:bb:cc:dd:ee:ff:00"])
    def test_bad_mac_is_refused(self, foundation, mac):
        """A MAC that is not six hex pairs is refused on `mac`."""
        with pytest.raises(ValidationError) as excinfo:
            services.interface_create(foundation=foundation, name="eth0", mac=mac)
        assert "mac" in field_errors(excinfo)

    def test_mac_is_normalised_and_unique(self, foundation):
        """MACs are stored lower-case with colons, and one MAC belongs to one interface only."""
        interface = services.interface_create(foundation=foundation, name="eth0", mac="AA-BB-CC-DD-EE-FF")
        assert interface.mac == "aa:bb:cc:dd:ee:ff"
        with pytest.raises(ValidationError) as excinfo:
            services.interface_create(foundation=ManualFoundationFactory(), name="eth0", mac="aa:bb:cc:dd:ee:ff")
        assert "mac" in field_errors(excinfo)

    def test_empty_macs_do_not_collide(self, foundation):
        """Interfaces whose MAC is not yet known may coexist."""
        services.interface_create(foundation=foundation, name="eth0")
        services.interface_create(foundation=foundation, name="eth1")
        assert foundation.interfaces.count() == 2

    def test_one_provisioning_interface_per_foundation(self, foundation):
        """A foundation PXE boots from one interface; a second provisioning one is refused."""
        services.interface_create(foundation=foundation, name="eth0", is_provisioning=True)
        with pytest.raises(ValidationError) as excinfo:
            services.interface_create(foundation=foundation, name="eth1", is_provisioning=True)
        assert "is_provisioning" in field_errors(excinfo)
        other = services.interface_create(foundation=ManualFoundationFactory(), name="eth0", is_provisioning=True)
        assert other.is_provisioning

    def test_interface_names_are_unique_per_foundation(self, foundation):
        """Two interfaces of one foundation cannot share a name."""
        services.interface_create(foundation=foundation, name="eth0")
        with pytest.raises(ValidationError) as excinfo:
            services.interface_create(foundation=foundation, name="eth0")
        assert "name" in field_errors(excinfo)

    def test_aggregate_members_must_be_on_the_structures_foundation(self, structure):
        """A bond's primary and members come from the structure's own foundation."""
        own = services.interface_create(foundation=structure.foundation, name="eth0")
        stranger = services.interface_create(foundation=ManualFoundationFactory(), name="eth0")
        with pytest.raises(ValidationError) as excinfo:
            services.aggregated_interface_create(structure=structure, name="bond0", primary=own, members=[stranger])
        assert "members" in field_errors(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.aggregated_interface_create(structure=structure, name="bond0", primary=stranger)
        assert "primary" in field_errors(excinfo)
        bond = services.aggregated_interface_create(structure=structure, name="bond0", primary=own, members=[own])
        assert list(bond.members.all()) == [own]
