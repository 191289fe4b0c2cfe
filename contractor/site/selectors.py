"""Reads for sites: listing, and the whole site tree in memory for questions that walk it."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from contractor.graphs import descendants
from contractor.site.models import Site


def site_list() -> QuerySet[Site]:
    """Every site with its parent and children loaded, for listing in a fixed number of queries."""
    return Site.objects.select_related("parent", "zone").prefetch_related("children")


@dataclass
class SiteTree:
    """Every site's parent, DNS zone and id by name, read in one query; the tree is walked in memory.

    This is the one walk of the tree that everything uses (config layers load the Site rows of a chain with
    `Site.ancestors()`, which needs their values): sub-sites, the chain above a site and the zone a site lands in.
    """

    parents: dict[int, int | None]
    zones: dict[int, int | None]
    names: dict[str, int] = field(default_factory=dict)
    children: dict[int | None, list[int]] = field(init=False)

    def __post_init__(self):
        self.children = defaultdict(list)
        for pk, parent in self.parents.items():
            self.children[parent].append(pk)

    def descendants(self, pk: int) -> set[int]:
        """`pk` and every site below it."""
        return descendants(pk, self.children)

    def ancestors(self, pk: int) -> list[int]:
        """The chain from `pk` up to its root, `pk` first (a cycle, which validation refuses, ends the walk)."""
        chain, node = [], pk
        while node is not None and node not in chain:
            chain.append(node)
            node = self.parents.get(node)
        return chain

    def zone_of(self, pk: int) -> int | None:
        """The zone a site's structures land in: its own, else the nearest zone set on a site above it."""
        return next((self.zones[node] for node in self.ancestors(pk) if self.zones.get(node)), None)

    def zone_sites(self) -> dict[int, int]:
        """Site id -> the zone it lands in, for every site under a zone."""
        return {pk: zone for pk in self.parents if (zone := self.zone_of(pk)) is not None}

    def changed(self, pk: int, *, parent: int | None, zone: int | None) -> "SiteTree":
        """The tree as it would be with site `pk` moved under `parent` and pointed at `zone`."""
        return SiteTree({**self.parents, pk: parent}, {**self.zones, pk: zone}, self.names)


def site_tree() -> SiteTree:
    """The whole site tree, from one query."""
    rows = Site.objects.order_by().values_list("pk", "parent_id", "zone_id", "name")
    parents, zones, names = {}, {}, {}
    for pk, parent, zone, name in rows:
        parents[pk], zones[pk], names[name] = parent, zone, pk
    return SiteTree(parents, zones, names)
