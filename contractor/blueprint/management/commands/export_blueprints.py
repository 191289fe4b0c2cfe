"""manage.py export_blueprints: write every site, PXE and blueprint as a TOML or YAML design file."""

from pathlib import Path

import tomli_w
import yaml
from django.core.management.base import BaseCommand, CommandError

from contractor.blueprint.selectors import blueprints_export


class Command(BaseCommand):
    help = "Write the sites, pxes and blueprints in the format load_blueprints reads (TOML by default)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["toml", "yaml"], help="Default: from --output's suffix, else toml.")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of standard output.")

    def handle(self, *args, format=None, output=None, **options):
        if format is None:
            format = "yaml" if output and Path(output).suffix in (".yaml", ".yml") else "toml"
        text = render(blueprints_export(), format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")


def render(document: dict, format: str) -> str:
    """The design document as TOML or YAML text, multi-line scripts kept as readable blocks."""
    if format == "yaml":
        return yaml.dump(document, Dumper=BlockDumper, sort_keys=False, allow_unicode=True, width=120)
    return tomli_w.dumps(toml_document(document), multiline_strings=True)


def toml_document(document: dict) -> dict:
    """The design with each `~key` mask's (ignored) null written as `true`, since TOML has no null.

    Any other null is a CommandError naming the object and the key, so nothing is silently changed.
    """
    ready = {}
    for section, items in document.items():
        ready[section] = [_masks_as_true(item) for item in items]
        for item in ready[section]:
            where = _null_path(item)
            if where:
                raise CommandError(
                    f"TOML cannot hold the null at {section} {item['name']!r}: {where}; use --format yaml."
                )
    return ready


def _masks_as_true(item: dict) -> dict:
    config = item.get("config_values")
    if not config:
        return item
    masks = {key: True for key, value in config.items() if key.startswith("~") and value is None}
    return {**item, "config_values": {**config, **masks}}


def _null_path(value, path: str = "") -> str | None:
    """The dotted path of the first null inside `value`, or None when there is none."""
    if value is None:
        return path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found = _null_path(child, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` block scalars."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


BlockDumper.add_representer(str, _represent_str)
