"""Utilities' rules about other apps' objects, registered into their hooks by UtilitiesConfig.ready()."""

from django.core.exceptions import ValidationError
from django.db import connection

from contractor.site.models import Site
from contractor.site.selectors import site_tree
from contractor.utilities.models import AddressBlock


def site_roots_lock(*roots: int) -> None:
    """Lock the given root sites' rows (in id order, inside the caller's transaction): address block writes and
    site moves within one tree take turns, so two of them cannot each pass an overlap check the other breaks."""
    list(Site.objects.select_for_update().filter(pk__in=roots).order_by("pk").values_list("pk", flat=True))


def site_blocks_check(*, site) -> None:
    """Moving a site under another puts its subtree's address blocks and those above its new place into one
    ancestry, so one address plan: none of the former may overlap one of the latter (docs/networking.md)."""
    tree = site_tree()
    if tree.parents.get(site.pk) == site.parent_id:
        return  # not moved: its blocks were checked against this ancestry when they were saved
    moved = tree.changed(site.pk, parent=site.parent_id, zone=site.zone_id)
    subtree = moved.descendants(site.pk)
    above = [pk for pk in moved.ancestors(site.pk) if pk not in subtree]
    if not above:
        return
    if connection.in_atomic_block:
        site_roots_lock(tree.ancestors(site.pk)[-1], above[-1])
    inside = list(AddressBlock.objects.filter(site_id__in=subtree).select_related("site"))
    outside = AddressBlock.objects.filter(site_id__in=above).select_related("site") if inside else []
    for other in outside:
        for block in inside:
            if block.ip_network.version == other.ip_network.version and block.ip_network.overlaps(other.ip_network):
                raise ValidationError(
                    {
                        "parent": f"Address block {block} of site {block.site} would overlap address block "
                        f"{other} of site {other.site} above it."
                    }
                )
