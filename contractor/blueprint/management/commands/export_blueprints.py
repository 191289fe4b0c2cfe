"""manage.py export_blueprints: write every site, PXE and blueprint as a TOML or YAML design file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contractor.blueprint.design import FORMATS, DesignError, design_export, design_text


class Command(BaseCommand):
    help = "Write the sites, pxes and blueprints in the format load_blueprints reads (TOML by default)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, help="Default: from --output's suffix, else toml.")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of standard output.")

    def handle(self, *args, format=None, output=None, **options):
        if format is None:
            format = "yaml" if output and Path(output).suffix in (".yaml", ".yml") else "toml"
        try:
            text = design_text(design_export(), format)
        except DesignError as error:
            raise CommandError(str(error)) from error
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
