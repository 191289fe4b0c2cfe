"""Reads of the building app: foundations as their types, complex states and a site's dependency graph."""

from django.db.models import Count, Q, QuerySet

from contractor.building.choices import StructureState
from contractor.building.models import Complex, ComplexMember, Dependency, Foundation, Structure
from contractor.plugins import foundation_types

FOUNDATION_RELATED = ("site", "blueprint", "structure")


def foundation_queryset() -> QuerySet:
    """Foundations (as the base model) with what their API representation reads."""
    return Foundation.objects.select_related(*FOUNDATION_RELATED).prefetch_related("interfaces")


def foundations_as_types(foundations) -> list[Foundation]:
    """The same foundations, in the same order, each as its plugin's model: one query (+1 prefetch) per type."""
    foundations = list(foundations)
    by_type: dict[str, list[int]] = {}
    for foundation in foundations:
        by_type.setdefault(foundation.type, []).append(foundation.pk)
    models = foundation_types()
    typed = {}
    for name, pks in by_type.items():
        model = models.get(name)
        if model is None:
            continue  # the plugin was removed: show the base row
        rows = model.objects.filter(pk__in=pks).select_related(*FOUNDATION_RELATED).prefetch_related("interfaces")
        typed.update((row.pk, row) for row in rows)
    return [typed.get(foundation.pk, foundation) for foundation in foundations]


def complex_state(*, built: int, total: int, built_percentage: int) -> str:
    """'built' once at least `built_percentage` percent of the members are built, else 'planned'."""
    if total and built * 100 >= built_percentage * total:
        return StructureState.BUILT
    return StructureState.PLANNED


def complex_queryset(model=Complex) -> QuerySet:
    """Complexes (of a plugin's complex `model`, if given) annotated with member counts (`member_count`,
    `built_count`)."""
    return model.objects.select_related("site").annotate(
        member_count=Count("memberships", distinct=True),
        built_count=Count("memberships", filter=Q(memberships__structure__state=StructureState.BUILT), distinct=True),
    )


def _node(kind: str, obj, label: str, state: str) -> dict:
    return {"id": f"{kind}:{obj.pk}", "kind": kind, "label": label, "state": state}


def site_dependency_graph(site) -> dict:
    """Nodes and edges of what a site (and its sub-sites) builds.

    Nodes are the foundations, structures, complexes and dependencies of the sites. Edges:
    `hosts` from a foundation to the structure on it, `member` from a structure to its complex,
    and `depends` from whatever waits to what it waits on (a foundation to its dependency, a
    dependency to its structure or dependency). Edges leading out of the sites are left out.
    """
    site_ids = site.descendant_ids()
    foundations = list(Foundation.objects.filter(site_id__in=site_ids).order_by("pk"))
    structures = list(Structure.objects.filter(site_id__in=site_ids).order_by("pk"))
    complexes = list(complex_queryset().filter(site_id__in=site_ids).order_by("pk"))
    dependencies = list(
        Dependency.objects.filter(Q(foundation__site_id__in=site_ids) | Q(structure__site_id__in=site_ids)).order_by(
            "pk"
        )
    )
    nodes = [_node("foundation", f, f.locator, f.state) for f in foundations]
    nodes += [_node("structure", s, s.hostname, s.state) for s in structures]
    nodes += [
        _node(
            "complex",
            c,
            c.name,
            complex_state(built=c.built_count, total=c.member_count, built_percentage=c.built_percentage),
        )
        for c in complexes
    ]
    nodes += [_node("dependency", d, f"dependency {d.pk}", d.state) for d in dependencies]
    edges = [("foundation", s.foundation_id, "structure", s.pk, "hosts") for s in structures]
    memberships = ComplexMember.objects.filter(complex__in=complexes).order_by("pk")
    edges += [("structure", m.structure_id, "complex", m.complex_id, "member") for m in memberships]
    for d in dependencies:
        if d.foundation_id:
            edges.append(("foundation", d.foundation_id, "dependency", d.pk, "depends"))
        source = ("structure", d.structure_id) if d.structure_id else ("dependency", d.dependency_id)
        edges.append(("dependency", d.pk, *source, "depends"))
    present = {node["id"] for node in nodes}
    return {
        "nodes": nodes,
        "edges": [
            {"from": f"{a}:{a_pk}", "to": f"{b}:{b_pk}", "kind": kind}
            for a, a_pk, b, b_pk, kind in edges
            if f"{a}:{a_pk}" in present and f"{b}:{b_pk}" in present
        ],
    }
