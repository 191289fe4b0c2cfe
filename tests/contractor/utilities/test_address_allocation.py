"""address_allocate: lowest free offset, gaps, edge-sized blocks, huge blocks, full blocks; and the usage figures."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractor.utilities import services
from contractor.utilities.models import Address
from contractor.utilities.selectors import address_block_next_free, address_block_usage, address_ip_q

pytestmark = pytest.mark.django_db


def ips(addresses):
    return [address.ip_address for address in addresses]


def test_lowest_free_skips_network_and_gateway(block, reserve):
    """In 10.0.0.0/24 with gateway .1, allocation starts at .2 and goes up."""
    assert ips(reserve(block, 3)) == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_gateway_in_the_middle_is_skipped(make_block, reserve):
    """A gateway inside the range is stepped over."""
    block = make_block(subnet="10.0.0.0/29", gateway="10.0.0.3")
    assert ips(reserve(block, 5)) == ["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"]


def test_gaps_are_filled_lowest_first(block, reserve):
    """Released addresses are handed out again, lowest gap first, before the end of the run."""
    addresses = reserve(block, 6)
    services.address_release(address=addresses[4])
    services.address_release(address=addresses[1])
    assert ips(reserve(block, 3)) == ["10.0.0.3", "10.0.0.6", "10.0.0.8"]


def test_first_offset_free_again_is_taken(block, reserve):
    """When the very first usable address is released it is the next one given out."""
    addresses = reserve(block, 3)
    services.address_release(address=addresses[0])
    assert ips(reserve(block, 1)) == ["10.0.0.2"]


def test_explicit_offset_leaves_lower_gap(block, reserve):
    """An address taken at an explicit offset does not move the lowest-free search past the gap below it."""
    reserve(block, 1, start=100)
    assert ips(reserve(block, 2)) == ["10.0.0.2", "10.0.0.3"]


def test_broadcast_is_never_allocated(make_block, reserve):
    """A /30 has two hosts; with the gateway on one, one address is left and then the block is full."""
    block = make_block(subnet="10.0.0.0/30", gateway="10.0.0.1")
    assert ips(reserve(block, 1)) == ["10.0.0.2"]
    with pytest.raises(ValidationError) as excinfo:
        reserve(block, 1)
    assert "full" in excinfo.value.message_dict["address_block"][0]


def test_slash_31_uses_both_addresses(make_block, reserve):
    """A point-to-point /31 has no network or broadcast address: both are usable."""
    block = make_block(subnet="10.0.0.4/31", gateway=None)
    assert ips(reserve(block, 2)) == ["10.0.0.4", "10.0.0.5"]
    assert address_block_next_free(block) is None


def test_slash_32_is_one_address(make_block, reserve):
    """A /32 holds exactly its own address."""
    block = make_block(subnet="10.0.0.9/32", gateway=None)
    assert ips(reserve(block, 1)) == ["10.0.0.9"]
    with pytest.raises(ValidationError):
        reserve(block, 1)


def test_slash_32_with_its_gateway_is_full_from_the_start(make_block, reserve):
    """A /32 whose only address is the gateway has nothing to give."""
    block = make_block(subnet="10.0.0.9/32", gateway="10.0.0.9")
    assert address_block_usage(block)["total"] == 0
    with pytest.raises(ValidationError):
        reserve(block, 1)


def test_full_block_error_after_filling(make_block, reserve):
    """A /28 with a gateway gives 13 addresses, all distinct, then refuses clearly."""
    block = make_block(subnet="10.0.0.16/28", gateway="10.0.0.17")
    taken = reserve(block, 13)
    assert sorted(address.offset for address in taken) == list(range(2, 15))
    with pytest.raises(ValidationError, match="full"):
        reserve(block, 1)


def test_slash_8_allocates_without_walking(make_block, reserve):
    """A /8 (16M addresses) is never walked: allocation past many taken and at its end takes a bounded few queries."""
    block = make_block(subnet="10.0.0.0/8", gateway="10.0.0.1")
    Address.objects.bulk_create(Address(address_block=block, offset=o, kind="reserved") for o in range(2, 2002))
    reserve(block, 1, start=2**24 - 2)
    with CaptureQueriesContext(connection) as queries:
        (address,) = reserve(block, 1)
    assert address.ip_address == "10.0.7.210"  # offset 2002
    # a bounded number of queries, whatever the block's size, is what shows it is never walked (no timing here)
    assert len(queries) < 15
    assert address_block_usage(block)["total"] == 2**24 - 3


def test_ipv6_slash_64(make_block, reserve):
    """An IPv6 /64 allocates from ::1 up (skipping the gateway) and reports its exact size (2**64, less the
    subnet-router anycast ::0 and the gateway)."""
    block = make_block(subnet="2001:db8:0:1::/64", gateway="2001:db8:0:1::1")
    assert ips(reserve(block, 2)) == ["2001:db8:0:1::2", "2001:db8:0:1::3"]
    far = reserve(block, 1, start=2**62)[0]
    assert far.ip_address == "2001:db8:0:1:4000::"
    assert address_block_next_free(block) == 4
    usage = address_block_usage(block)
    assert usage["total"] == 2**64 - 2 and usage["used"] == 3 and usage["percent_used"] == 0.0


def test_next_free_does_not_take_it(block, reserve):
    """next-free reports what an allocation would take and leaves it free."""
    reserve(block, 2)
    assert address_block_next_free(block) == 4
    assert address_block_next_free(block) == 4
    assert ips(reserve(block, 1)) == ["10.0.0.4"]


def test_usage_counts_by_kind(block, structure, reserve):
    """Usage gives the usable total, used, free, per-kind counts and the percent used."""
    reserve(block, 3)
    services.address_allocate(address_block=block, kind="dynamic")
    services.address_allocate(address_block=block, kind="static", structure=structure, interface_name="eth0")
    with CaptureQueriesContext(connection) as queries:
        usage = address_block_usage(block)
    assert len(queries) == 1
    assert usage == {
        "total": 253,
        "used": 5,
        "free": 248,
        "by_kind": {"static": 1, "reserved": 3, "dynamic": 1},
        "percent_used": round(500 / 253, 2),
    }


def test_ip_lookup_finds_the_address_in_the_right_block(make_block, reserve, site):
    """Looking an IP up finds the address at that offset of the block containing it, and nothing else."""
    first = make_block(subnet="10.0.0.0/24")
    second = make_block(subnet="10.0.1.0/24", gateway="10.0.1.1")
    reserve(first, 3)
    (wanted,) = reserve(second, 1, start=3)
    assert list(Address.objects.filter(address_ip_q("10.0.1.3"))) == [wanted]
    assert not Address.objects.filter(address_ip_q("10.0.2.3")).exists()
    assert address_ip_q("not-an-ip") is None


def test_usage_of_a_slash_48_is_exact(make_block, reserve):
    """A /48 has 2**80 addresses: usage says so to the address (it stopped at 2**63), free included."""
    block = make_block(subnet="2001:db8:7::/48", gateway="2001:db8:7::1")
    reserve(block, 2)
    usage = address_block_usage(block)
    assert usage["total"] == 2**80 - 2 and usage["free"] == 2**80 - 4 and usage["used"] == 2


def test_every_address_of_a_slash_64_is_allocatable_the_eui64_half_too(make_block):
    """Offsets past 2**63 (the EUI-64 address of MAC a4:bb:cc:dd:ee:ff, the last of the block) are stored whole,
    read back exactly, kept unique and ordered as numbers; past the block's end is refused naming the address."""
    block = make_block(subnet="2001:db8:0:2::/64", gateway=None)
    eui64 = services.address_offset(address_block=block, address="2001:db8:0:2:a6bb:ccff:fedd:eeff")
    assert eui64 == 0xA6BB_CCFF_FEDD_EEFF > 2**63
    taken = [
        services.address_allocate(address_block=block, kind="reserved", offset=offset)
        for offset in (eui64, 2**64 - 1, 2**63, 2**63 - 1, 7)
    ]
    assert [a.ip_address for a in Address.objects.filter(address_block=block)] == [
        "2001:db8:0:2::7",
        "2001:db8:0:2:7fff:ffff:ffff:ffff",
        "2001:db8:0:2:8000::",
        "2001:db8:0:2:a6bb:ccff:fedd:eeff",
        "2001:db8:0:2:ffff:ffff:ffff:ffff",
    ]
    assert Address.objects.get(pk=taken[0].pk).offset == eui64
    assert list(Address.objects.filter(address_block=block, offset__gt=2**63).values_list("offset", flat=True)) == [
        eui64,
        2**64 - 1,
    ]
    with pytest.raises(ValidationError) as twice:
        services.address_allocate(address_block=block, kind="reserved", offset=eui64)
    assert "2001:db8:0:2:a6bb:ccff:fedd:eeff is already allocated" in str(twice.value)
    with pytest.raises(ValidationError) as beyond:
        services.address_allocate(address_block=block, kind="reserved", offset=2**64)
    assert "offset 18446744073709551616 is not in 2001:db8:0:2::/64" in str(beyond.value)
    assert address_block_next_free(block) == 1


def test_a_slash_128_block_and_the_top_of_the_ipv6_space_are_exact(make_block):
    """The last address of the whole IPv6 space has an offset near 2**128 in a ::/1 block: stored and read exactly."""
    block = make_block(subnet="8000::/1", gateway=None)
    top = services.address_allocate(address_block=block, kind="reserved", offset=2**127 - 1)
    assert Address.objects.get(pk=top.pk).ip_address == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
