"""Reads over address blocks: the next free offset, usage figures and looking addresses up by IP."""

import ipaddress

from django.db.models import BigIntegerField, CharField, Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, LPad

from contractor.fields import OffsetField
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock


def _is_free(block: AddressBlock, offset: int) -> bool:
    if offset == block.gateway_offset:
        return False
    return not Address.objects.filter(address_block=block, offset=offset).exists()


# Offsets are stored as zero-padded digits (OffsetField); SQL adds to them as 64-bit integers, so the anti-join
# walks the offsets below this one. Every free address at or above it would need 2**63 rows below it taken first.
_SQL_ARITHMETIC_LIMIT = 2**63 - 1


def _successor(name: str):
    """SQL for the stored form of offset `name` + 1 (for offsets below _SQL_ARITHMETIC_LIMIT)."""
    plus_one = Cast(name, BigIntegerField()) + 1
    return LPad(Cast(plus_one, CharField()), OffsetField.DIGITS, Value("0"))


def _lowest_gap_after_taken(block: AddressBlock) -> int | None:
    """The lowest `offset + 1` over taken offsets whose successor is free, by an indexed anti-join."""
    below = min(block.last_offset, _SQL_ARITHMETIC_LIMIT)
    successor_taken = Address.objects.filter(address_block=block, offset=_successor(OuterRef("offset")))
    gaps = (
        Address.objects.filter(address_block=block, offset__gte=block.first_offset, offset__lt=below)
        .exclude(Exists(successor_taken))
        .annotate(gap=Cast("offset", BigIntegerField()) + 1)
    )
    if block.gateway_offset is not None:
        gaps = gaps.exclude(offset=block.gateway_offset - 1)
    return gaps.order_by("offset").values_list("gap", flat=True).first()


def address_block_next_free(block: AddressBlock) -> int | None:
    """The lowest free usable offset of `block` (never the gateway), or None when the block is full.

    The lowest free offset is either the block's first offset or directly follows a taken offset or the
    gateway, so three small queries find it without walking the block: a /8 or an IPv6 /64 costs the same.
    """
    first, last, gateway = block.first_offset, block.last_offset, block.gateway_offset
    candidates = []
    if _is_free(block, first):
        return first
    gap = _lowest_gap_after_taken(block)
    if gap is not None:
        candidates.append(gap)
    if gateway is not None and first <= gateway < last and _is_free(block, gateway + 1):
        candidates.append(gateway + 1)
    return min(candidates, default=None)


def address_block_capacity(block: AddressBlock) -> int:
    """How many addresses hosts may use: the usable range less the gateway, exact for any size (a /48 too)."""
    usable = max(block.last_offset - block.first_offset + 1, 0)
    if block.gateway_offset is not None and block.first_offset <= block.gateway_offset <= block.last_offset:
        usable -= 1
    return usable


def _percent(used: int, total: int) -> float:
    return round(used * 100 / total, 2) if total else 100.0


def address_block_usage(block: AddressBlock) -> dict:
    """Total usable, used and free addresses, the count of each kind, and the percent used (one query)."""
    counts = Address.objects.filter(address_block=block).aggregate(
        used=Count("pk"), **{kind: Count("pk", filter=Q(kind=kind)) for kind in AddressKind.values}
    )
    used = counts.pop("used")
    total = address_block_capacity(block)
    return {
        "total": total,
        "used": used,
        "free": max(total - used, 0),
        "by_kind": counts,
        "percent_used": _percent(used, total),
    }


def address_block_percent_used(block: AddressBlock) -> float:
    """Percent used of a block from its `address_count` annotation (see address_blocks_with_counts)."""
    return _percent(block.address_count, address_block_capacity(block))


def address_blocks_with_counts(queryset: QuerySet[AddressBlock] | None = None) -> QuerySet[AddressBlock]:
    """Blocks annotated with `address_count`, for lists that show usage without a query per row."""
    queryset = AddressBlock.objects.all() if queryset is None else queryset
    return queryset.annotate(address_count=Count("addresses"))


def address_ip_q(ip: str, prefix: str = "") -> Q | None:
    """A filter matching the Address rows whose IP is `ip` (None when `ip` is not an IP address).

    `prefix` is the lookup path to the Address (e.g. "addresses__") for filtering related models.
    """
    try:
        wanted = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    matches = Q(pk__in=[])
    for block in AddressBlock.objects.only("pk", "subnet", "prefix"):
        network = block.ip_network
        if network.version == wanted.version and wanted in network:
            offset = int(wanted) - int(network.network_address)
            matches |= Q(**{f"{prefix}address_block_id": block.pk, f"{prefix}offset": offset})
    return matches
