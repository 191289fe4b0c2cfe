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
    try:
        return tomli_w.dumps(document, multiline_strings=True)
    except TypeError as error:
        raise CommandError(
            f"TOML cannot hold this design ({error}); a null config value? Use --format yaml."
        ) from error


class BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` block scalars."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


BlockDumper.add_representer(str, _represent_str)
