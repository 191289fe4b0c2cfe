"""Building a target's config layers from the database, and its merged, rendered and redacted config."""

from django.conf import settings
from django.core.exceptions import ValidationError

from contractor.blueprint.models import BluePrint
from contractor.building.models import Foundation, Structure
from contractor.configuration.attributes import foundation_attributes, foundation_interfaces, structure_attributes
from contractor.configuration.errors import ConfigError
from contractor.configuration.merge import merge_layers_traced
from contractor.configuration.templating import render_config, secret_reading_keys
from contractor.redaction import REDACTED, declared_secret_keys, redact
from contractor.site.models import Site

Layer = tuple[str, dict]


def merged_config(target, *, reveal_secrets: bool) -> dict:
    """The config `target` (a Site, BluePrint, Foundation or Structure) sees, secrets redacted unless revealed.

    An error names the key and the layer(s) it came from, since it may fail for this target only.
    """
    config, origins = merge_layers_traced(config_layers(target), class_list=target_class_list(target))
    rendered = render_config(config, origins)
    return rendered if reveal_secrets else redact_rendered(config, rendered)


def traced_config(target, *, reveal_secrets: bool) -> dict[str, dict]:
    """Key -> {"value", "layer", "layers"}: the merged config and where each value came from.

    `layer` is the last layer that set or changed the value; `layers` every layer that shaped it, lowest first
    (a replace starts afresh). Values are rendered, and redacted as in merged_config.
    """
    config, origins = merge_layers_traced(config_layers(target), class_list=target_class_list(target))
    rendered = render_config(config, origins)
    config = rendered if reveal_secrets else redact_rendered(config, rendered)
    return {key: {"value": value, "layer": origins[key][-1], "layers": origins[key]} for key, value in config.items()}


def redact_rendered(config: dict, rendered: dict) -> dict:
    """`rendered` (the merged `config` after templating) with its secrets redacted, and every value built by a
    template from a secret redacted whole: `motd: "{{ root_password }}"` hides the password like the key does."""
    names = declared_secret_keys()
    redacted = redact(rendered, names)
    for key in secret_reading_keys(config, names):
        redacted[key] = REDACTED
    return redacted


def config_layers(target) -> list[Layer]:
    """(layer name, raw values) pairs, lowest priority first, that make up `target`'s config."""
    if isinstance(target, Structure):
        layers = structure_layers(target)
    elif isinstance(target, Foundation):
        layers = foundation_layers(target)
    elif isinstance(target, BluePrint):
        layers = blueprint_layers(target)
    elif isinstance(target, Site):
        layers = site_layers(target)
    else:
        raise TypeError(f"No config for a {type(target).__name__}; give a Site, BluePrint, Foundation or Structure.")
    return layers + [("globals", dict(settings.CONTRACTOR_GLOBALS))]


def target_class_list(target) -> list[str] | None:
    """The class list `:Class` keys are matched against: the target's foundation's, or None if it has none."""
    if isinstance(target, Structure):
        return list(target.foundation.class_list)
    if isinstance(target, Foundation):
        return list(target.class_list)
    return None


def site_layers(site: Site) -> list[Layer]:
    """One layer per site from the root down to `site`."""
    return [(f"site:{node.name}", dict(node.config_values)) for node in site.ancestors()]


def blueprint_layers(blueprint: BluePrint) -> list[Layer]:
    """One layer per blueprint of the lineage: ancestors first, `blueprint` itself last."""
    try:
        lineage = blueprint.lineage()
    except ValidationError as error:
        raise ConfigError(" ".join(error.messages)) from error
    return [(f"blueprint:{node.name}", dict(node.config_values)) for node in lineage]


def foundation_layers(foundation: Foundation) -> list[Layer]:
    """Foundation blueprint lineage, the foundation's site chain, then its attributes."""
    attributes = foundation_attributes(foundation, foundation_interfaces(foundation))
    return (
        blueprint_layers(foundation.blueprint) + site_layers(foundation.site) + [("attributes:foundation", attributes)]
    )


def structure_layers(structure: Structure) -> list[Layer]:
    """Both blueprint lineages, the structure's site chain, both attribute sets, then the structure's own values."""
    foundation = structure.foundation
    interfaces = foundation_interfaces(foundation)
    return (
        blueprint_layers(foundation.blueprint)
        + blueprint_layers(structure.blueprint)
        + site_layers(structure.site)
        + [
            ("attributes:foundation", foundation_attributes(foundation, interfaces)),
            ("attributes:structure", structure_attributes(structure, interfaces)),
            ("structure", dict(structure.config_values)),
        ]
    )
