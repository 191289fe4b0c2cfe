"""Reads for blueprints: listing querysets, the parent graph and the design export."""

from django.db.models import Prefetch, QuerySet

from contractor.blueprint.models import PXE, BluePrintParent, FoundationBluePrint, StructureBluePrint
from contractor.site.models import Site


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


def _without_empty(item: dict) -> dict:
    return {key: value for key, value in item.items() if value not in ("", None, [], {})}


def _blueprint_item(blueprint) -> dict:
    return {
        "name": blueprint.name,
        "description": blueprint.description,
        "parents": [edge.parent.name for edge in blueprint.parent_edges.all()],
        "config_values": blueprint.config_values,
    }


def _scripts(blueprint) -> dict:
    return {"scripts": {script.name: script.script for script in blueprint.scripts.all()}}


def blueprints_export() -> dict[str, list[dict]]:
    """Every site, PXE and blueprint as a design document (the load_blueprints format), empty fields left out."""
    sites = [
        {
            "name": site.name,
            "description": site.description,
            "parent": site.parent and site.parent.name,
            "config_values": site.config_values,
        }
        for site in Site.objects.select_related("parent").order_by("name")
    ]
    pxes = [
        {"name": pxe.name, "description": pxe.description, "boot_script": pxe.boot_script, "template": pxe.template}
        for pxe in PXE.objects.order_by("name")
    ]
    foundation = [
        {
            **_blueprint_item(bp),
            "foundation_types": bp.foundation_types,
            "hardware_requirements": bp.hardware_requirements,
            **_scripts(bp),
        }
        for bp in foundation_blueprint_list().order_by("name")
    ]
    structure = [
        {
            **_blueprint_item(bp),
            "foundation_blueprints": sorted(f.name for f in bp.foundation_blueprint_list.all()),
            **_scripts(bp),
        }
        for bp in structure_blueprint_list().order_by("name")
    ]
    document = {"sites": sites, "pxes": pxes, "foundation_blueprints": foundation, "structure_blueprints": structure}
    return {section: [_without_empty(item) for item in items] for section, items in document.items() if items}
