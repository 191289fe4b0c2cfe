"""Refusing, when an object is saved, config values that could never be merged or rendered."""

from django.core.exceptions import ValidationError

from contractor.blueprint.models import BluePrint
from contractor.blueprint.selectors import BluePrintGraph, blueprint_graph, blueprint_lineage
from contractor.building.models import Foundation, Structure
from contractor.configuration.errors import ConfigError
from contractor.configuration.merge import merge_layers_traced
from contractor.configuration.templating import environment, render_config, template_order
from contractor.fields import validate_config_values
from contractor.site.models import Site

Layer = tuple[str, dict]


def config_values_check(target) -> None:
    """Raise a ValidationError on `config_values` when `target`'s config, as about to be saved, can never be built.

    Checked: every template's syntax (class-filtered keys too), each modifier against what the layers below
    hold, and reference cycles, for the target itself and for every site or blueprint that inherits from it.
    Attribute layers and most render errors are left to read time: `{{ _structure_id + 1 }}` fails on a site
    but renders on each structure, so a render error names its key and layer when the config is read. The
    target's own config is rendered, though, and a template that breaks the sandbox's bounds there (a huge
    value, too many steps, the time limit) is refused now, so no stored value can stall a worker later.
    """
    values = getattr(target, "config_values", {})
    try:
        validate_config_values(values)
    except ValidationError:
        return  # the field's own validator reports malformed keys
    problems = _template_syntax_problems(values)
    for owner, layers, class_list in _configs_to_check(target):
        if problems:
            break
        try:
            config, origins = merge_layers_traced(layers, class_list=class_list)
            template_order(config, origins)
            if owner is target:
                _render_within_bounds(config, origins)
        except ConfigError as error:
            problems.append(str(error) if owner is target else f"It would break the config of {owner}: {error}")
    if problems:
        raise ValidationError({"config_values": problems})


def _render_within_bounds(config: dict, origins: dict[str, list[str]]) -> None:
    """Render `config`; raise only a bound's ConfigError (other render errors may not happen with attributes)."""
    try:
        render_config(config, origins)
    except ConfigError as error:
        if error.bound:
            raise


def _template_syntax_problems(values: dict) -> list[str]:
    env = environment()
    problems = []
    for key, value in values.items():
        try:
            template_order({key: value}, env=env)
        except ConfigError as error:
            if not error.cycle:  # cycles are reported below, from the merged config, with their layers
                problems.append(str(error))
    return problems


def _configs_to_check(target) -> list[tuple[object, list[Layer], list[str] | None]]:
    """(object, its layers without attributes, its class list) for `target` and what inherits its values."""
    if isinstance(target, Site):
        return [(site, _site_chain(site, target), None) for site in [target, *_sites_below(target)]]
    if isinstance(target, BluePrint):
        graph = blueprint_graph()
        return [(bp, _lineage(bp, target, graph), None) for bp in [target, *_blueprints_below(target, graph)]]
    if isinstance(target, Structure):
        if not (target.site_id and target.blueprint_id and target.foundation_id):
            return []
        foundation = target.foundation
        layers = _lineage(foundation.blueprint, target) + _lineage(target.blueprint, target)
        layers += _site_chain(target.site, target) + [("structure", dict(target.config_values))]
        return [(target, layers, list(foundation.class_list))]
    if isinstance(target, Foundation):
        if not (target.site_id and target.blueprint_id):
            return []
        layers = _lineage(target.blueprint, target) + _site_chain(target.site, target)
        return [(target, layers, list(target.class_list) if isinstance(target.class_list, list) else [])]
    return []


def _site_chain(site: Site, edited) -> list[Layer]:
    return [(f"site:{node.name}", dict(_current(node, edited).config_values)) for node in site.ancestors()]


def _lineage(blueprint: BluePrint, edited, graph: BluePrintGraph | None = None) -> list[Layer]:
    try:
        lineage = blueprint_lineage(blueprint, graph=graph)
    except ValidationError:
        return []  # a parent cycle is refused on its own field
    return [(f"blueprint:{node.name}", dict(_current(node, edited).config_values)) for node in lineage]


def _current(node, edited):
    """The object being saved stands in for its stored row, so its new values are the ones checked."""
    family = Site if isinstance(edited, Site) else BluePrint if isinstance(edited, BluePrint) else None
    same = family is not None and isinstance(node, family) and edited.pk is not None and node.pk == edited.pk
    return edited if same else node


def _sites_below(site: Site) -> list[Site]:
    if site.pk is None:
        return []
    below = Site.objects.filter(pk__in=site.descendant_ids() - {site.pk}).select_related("parent")
    nodes = {node.pk: node for node in below}
    for node in nodes.values():
        # Walk every chain through the edited site, with its new values and parent.
        node.parent = site if node.parent_id == site.pk else nodes.get(node.parent_id, node.parent)
    return sorted(nodes.values(), key=lambda node: node.name)


def _blueprints_below(blueprint: BluePrint, graph: BluePrintGraph) -> list[BluePrint]:
    if blueprint.pk is None:
        return []
    below = graph.descendants(blueprint.pk) - {blueprint.pk}
    return list(BluePrint.objects.filter(pk__in=below).order_by("name"))
