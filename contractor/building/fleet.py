"""Questions about the fleet: how many, what is affected if something goes down, what a service uses.

Every answer is built from a fixed number of queries (or a few per level of a walk), then in memory;
nothing queries per structure or per foundation.
"""

from collections import Counter, defaultdict

from django.db.models import Count

from contractor.blueprint.models import BluePrint
from contractor.blueprint.selectors import blueprint_graph
from contractor.building.hosting import hosted_foundations
from contractor.building.models import Complex, ComplexMember, Dependency, Foundation, Structure
from contractor.site.models import Site
from contractor.site.selectors import SiteTree

RESOURCES = ("cpu_count", "memory_mb", "disk_gb")


# -- counts ----------------------------------------------------------------------------------------------------


def _site_ids(site: Site | None) -> set[int] | None:
    # The counts ask for the same site's tree several times in one answer: walk it once (a query per level).
    if site is None:
        return None
    if getattr(site, "_fleet_site_ids", None) is None:
        site._fleet_site_ids = site.descendant_ids()
    return site._fleet_site_ids


def _in_sites(queryset, site_ids, field="site_id"):
    return queryset if site_ids is None else queryset.filter(**{f"{field}__in": site_ids})


def _count_by(queryset, field: str) -> Counter:
    return Counter(dict(queryset.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n")))


def structures_per_blueprint(*, site: Site | None = None) -> list[dict]:
    """Each structure blueprint with its own structures and the total counting blueprints that inherit from it."""
    site_ids = _site_ids(site)
    own = _count_by(_in_sites(Structure.objects, site_ids), "blueprint_id")
    graph = blueprint_graph()
    rows = BluePrint.objects.filter(kind="structure").order_by("name").values_list("pk", "name")
    return [
        {"blueprint": name, "structures": own[pk], "total": sum(own[d] for d in graph.descendants(pk))}
        for pk, name in rows
    ]


def foundations_per_type_and_state(*, site: Site | None = None) -> dict[str, dict[str, int]]:
    """`{type: {state: count}}` over the site and its sub-sites (or everywhere)."""
    result = defaultdict(dict)
    rows = _in_sites(Foundation.objects, _site_ids(site)).order_by().values("type", "state").annotate(n=Count("pk"))
    for foundation_type, state, n in rows.values_list("type", "state", "n").order_by("type", "state"):
        result[foundation_type][state] = n
    return dict(result)


def counts_per_site(*, site: Site | None = None) -> list[dict]:
    """Each site (under `site`, or every one) with its own foundations and structures and the totals with sub-sites."""
    sites = list(Site.objects.order_by("name").values_list("pk", "name", "parent_id"))
    tree = SiteTree({pk: parent for pk, _, parent in sites}, {})
    names = {pk: name for pk, name, _ in sites}
    foundations, structures = _count_by(Foundation.objects, "site_id"), _count_by(Structure.objects, "site_id")
    wanted = _site_ids(site)
    result = []
    for pk, name, parent in sites:
        if wanted is not None and pk not in wanted:
            continue
        below = tree.descendants(pk)
        result.append(
            {
                "site": name,
                "parent": names.get(parent),
                "foundations": foundations[pk],
                "structures": structures[pk],
                "total_foundations": sum(foundations[s] for s in below),
                "total_structures": sum(structures[s] for s in below),
            }
        )
    return result


def hosted_per_host_and_complex(*, site: Site | None = None) -> dict:
    """The foundations living on complexes (VMs): per complex (placed on a host or not yet) and per host.

    Complexes and hosts are those of the site and its sub-sites (or every one); the counts take every
    hosted foundation of those complexes, wherever the foundation itself is filed.
    """
    in_sites = _in_sites(Complex.objects, _site_ids(site))
    complexes = list(in_sites.order_by("name").values_list("pk", "name"))
    hosted = hosted_foundations(complex_ids=in_sites.values("pk"))
    names = dict(complexes)
    per_complex = {pk: {"complex": name, "foundations": 0, "placed": 0, "built": 0} for pk, name in complexes}
    per_host = {}
    for item in hosted:
        row = per_complex[item.complex_id]
        row["foundations"] += 1
        row["built"] += item.state == "built"
        if item.host_id is not None:
            row["placed"] += 1
            host = per_host.setdefault(
                item.host_id, {"host": item.host_name, "complex": names[item.complex_id], "foundations": 0}
            )
            host["foundations"] += 1
    return {"complexes": list(per_complex.values()), "hosts": sorted(per_host.values(), key=lambda h: h["host"])}


def fleet_counts(*, site: Site | None = None) -> dict:
    """The counts together, for the site and its sub-sites (or the whole fleet)."""
    return {
        "site": site.name if site else None,
        "sites": counts_per_site(site=site),
        "foundations": foundations_per_type_and_state(site=site),
        "structures_per_blueprint": structures_per_blueprint(site=site),
        "hosted": hosted_per_host_and_complex(site=site),
    }


# -- impact ----------------------------------------------------------------------------------------------------


def _node(kind: str, key, name: str, state: str, **extra) -> dict:
    return {"kind": kind, "id": key, "name": name, "state": state, **extra, "children": []}


def _structures_on(foundation_ids):
    rows = Structure.objects.filter(foundation_id__in=foundation_ids).values_list(
        "pk", "hostname", "state", "foundation_id"
    )
    return [(("foundation", f), _node("structure", pk, hostname, state)) for pk, hostname, state, f in rows]


def _dependency_nodes(filters: dict, source_kind: str, source_field: str):
    rows = Dependency.objects.filter(**filters).values_list(
        "pk", "state", "link", source_field, "foundation_id", "foundation__locator", "foundation__state"
    )
    found = []
    for pk, state, link, source, foundation_id, locator, foundation_state in rows:
        found.append(((source_kind, source), _node("dependency", pk, f"dependency {pk}", state, link=link)))
        if foundation_id:
            found.append(
                (("dependency", pk), _node("foundation", locator, locator, foundation_state, pk=foundation_id))
            )
    return found


def _complexes_of(structure_ids):
    rows = ComplexMember.objects.filter(structure_id__in=structure_ids).values_list(
        "structure_id", "complex_id", "complex__name"
    )
    return [(("structure", s), _node("complex", name, name, "", pk=c)) for s, c, name in rows]


def _hosted_nodes(host_ids, complex_ids):
    # A host carries the foundations placed on it; a complex those not placed on any host yet (they wait for it).
    found = []
    if host_ids:
        found += [(("structure", h.host_id), h) for h in hosted_foundations(host_ids=host_ids)]
    if complex_ids:
        unplaced = [h for h in hosted_foundations(complex_ids=complex_ids) if h.host_id is None]
        found += [(("complex", h.complex_id), h) for h in unplaced]
    return [(key, _node("foundation", h.locator, h.locator, h.state, pk=h.foundation_id)) for key, h in found]


def _dependents(frontier: dict[str, set]) -> list[tuple[tuple, dict]]:
    """(parent key, child node) for everything that depends directly on the nodes of `frontier`: 4 queries, plus
    one per hosting plugin for each of hosts and complexes in the frontier."""
    found = _structures_on(frontier["foundation"])
    found += _dependency_nodes({"structure_id__in": frontier["structure"]}, "structure", "structure_id")
    found += _dependency_nodes({"dependency_id__in": frontier["dependency"]}, "dependency", "dependency_id")
    found += _complexes_of(frontier["structure"])
    found += _hosted_nodes(frontier["structure"], frontier["complex"])
    return found


def _key(node: dict) -> tuple:
    return (node["kind"], node.get("pk", node["id"]))


def impact(root) -> dict:
    """What is affected if `root` (a Foundation or Structure) goes down, as a tree; each node has its `path`.

    A foundation carries its structure; a structure carries the dependencies waiting on it, the complexes
    it is a member of and the hosted foundations (VMs) placed on it; a complex carries its hosted foundations
    not placed on a host yet; a dependency carries the dependencies waiting on it and the foundation it holds
    back. Each thing appears once, where it is first reached (the shortest path). A few queries per level.
    """
    if isinstance(root, Foundation):
        top = _node("foundation", root.locator, root.locator, root.state, pk=root.pk)
    else:
        top = _node("structure", root.pk, root.hostname, root.state)
    top["path"] = [top["name"]]
    seen, level, affected = {_key(top): top}, [top], []
    while level:
        frontier = {"foundation": set(), "structure": set(), "dependency": set(), "complex": set()}
        for node in level:
            if node["kind"] in frontier:
                frontier[node["kind"]].add(node.get("pk", node["id"]))
        level = []
        for parent_key, node in sorted(_dependents(frontier), key=lambda item: (item[1]["kind"], str(item[1]["id"]))):
            if _key(node) in seen:
                continue
            parent = seen[parent_key]
            node["path"] = parent["path"] + [node["name"]]
            parent["children"].append(node)
            seen[_key(node)] = node
            level.append(node)
            affected.append(node)
    counts = Counter(node["kind"] for node in affected)
    return {
        "root": top,
        "affected": {kind: counts[kind] for kind in ("structure", "dependency", "complex", "foundation")},
    }


# -- resources -------------------------------------------------------------------------------------------------


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _disk_gb(id_map: dict):
    # id_map disks are a list of names or of objects with `size_gb` (or `size` in GB); only sized ones count.
    disks = id_map.get("disks")
    if not isinstance(disks, list):
        return None
    sizes = [_number(d.get("size_gb", d.get("size"))) for d in disks if isinstance(d, dict)]
    sizes = [size for size in sizes if size is not None]
    return sum(sizes) if sizes else None


def _from_id_map(id_map: dict) -> dict:
    found = {"cpu_count": _number(id_map.get("cpu_count")), "memory_mb": _number(id_map.get("memory_mb"))}
    found["disk_gb"] = _number(id_map.get("disk_gb")) or _disk_gb(id_map)
    return {key: value for key, value in found.items() if value is not None}


def _blueprint_config(blueprint_ids) -> dict[int, dict]:
    """Each foundation blueprint's resource values, merged along its lineage (its own win): two queries."""
    graph = blueprint_graph()
    lineages = {pk: graph.lineage(pk) for pk in blueprint_ids}
    values = dict(
        BluePrint.objects.filter(pk__in={p for line in lineages.values() for p in line}).values_list(
            "pk", "config_values"
        )
    )
    merged = {}
    for pk, line in lineages.items():
        merged[pk] = {}
        for ancestor in line:
            merged[pk].update({k: v for k, v in (values.get(ancestor) or {}).items() if k in RESOURCES})
    return merged


def _resources(structure: dict, by_blueprint: dict) -> tuple[dict, dict]:
    # Hardware found (id_map) wins over the structure's config, which wins over its foundation blueprint's config.
    config = {k: v for k, v in (structure["config_values"] or {}).items() if k in RESOURCES}
    values, source = {}, {}
    for origin, found in (
        ("blueprint", by_blueprint.get(structure["foundation__blueprint_id"], {})),
        ("structure", config),
        ("id_map", _from_id_map(structure["foundation__id_map"] or {})),
    ):
        for key, value in found.items():
            if _number(value) is not None:
                values[key], source[key] = value, origin
    return values, source


def resource_usage(*, blueprint: BluePrint | None = None, complex_=None) -> dict:
    """The foundations under the structures of a blueprint (counting those that inherit from it) or a complex,
    each with its CPU, memory and disk, and the sums. Three or four queries whatever the size."""
    if blueprint is not None:
        structures = Structure.objects.filter(blueprint_id__in=blueprint_graph().descendants(blueprint.pk))
    else:
        structures = Structure.objects.filter(complex_memberships__complex=complex_)
    rows = list(
        structures.order_by("hostname", "pk").values(
            "pk", "hostname", "config_values", "foundation__locator", "foundation__blueprint_id", "foundation__id_map"
        )
    )
    by_blueprint = _blueprint_config({row["foundation__blueprint_id"] for row in rows})
    foundations, totals = [], dict.fromkeys(RESOURCES, 0)
    for row in rows:
        values, source = _resources(row, by_blueprint)
        for key, value in values.items():
            totals[key] += value
        foundations.append(
            {"foundation": row["foundation__locator"], "structure": row["hostname"], **values, "source": source}
        )
    return {"foundations": foundations, "total": totals, "count": len(foundations)}
