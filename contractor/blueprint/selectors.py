"""Reads for blueprints: listing querysets, the parent graph and the design export."""

from django.db.models import Prefetch, QuerySet

from contractor.blueprint.models import BluePrintParent, FoundationBluePrint, StructureBluePrint


def _ordered_parents() -> Prefetch:
    return Prefetch("parent_edges", queryset=BluePrintParent.objects.select_related("parent").order_by("position"))


def foundation_blueprint_list() -> QuerySet[FoundationBluePrint]:
    """Foundation blueprints with their ordered parents and scripts loaded."""
    return FoundationBluePrint.objects.prefetch_related(_ordered_parents(), "scripts")


def structure_blueprint_list() -> QuerySet[StructureBluePrint]:
    """Structure blueprints with their ordered parents, scripts and allowed foundation blueprints loaded."""
    return StructureBluePrint.objects.prefetch_related(_ordered_parents(), "scripts", "foundation_blueprint_list")


def blueprint_parent_map() -> dict[int, list[int]]:
    """Every blueprint id -> its parents' ids in order, read in one query."""
    graph: dict[int, list[int]] = {}
    for child, parent in BluePrintParent.objects.order_by("child", "position").values_list("child_id", "parent_id"):
        graph.setdefault(child, []).append(parent)
    return graph
