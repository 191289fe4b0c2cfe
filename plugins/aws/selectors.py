"""Reads of the aws plugin: accounts with their instance counts, and the address block an address falls in."""

import ipaddress

from django.db.models import Count

from contractor.building.selectors import complex_queryset
from contractor.site.selectors import site_tree
from contractor.utilities.models import AddressBlock
from plugins.aws.models import AWSAccount


def aws_account_queryset():
    """AWS accounts (with the complexes' member counts) and `instance_count`, the EC2 foundations in each."""
    return complex_queryset(AWSAccount).annotate(instance_count=Count("instances", distinct=True))


def covering_block(site_id: int, address: str) -> AddressBlock | None:
    """The narrowest address block of the site or a site above it that holds `address`, or None."""
    ip = ipaddress.ip_address(address)
    sites = site_tree().ancestors(site_id)  # the site itself first
    blocks = [block for block in AddressBlock.objects.filter(site_id__in=sites) if ip in block.ip_network]
    return max(blocks, key=lambda block: block.prefix, default=None)
