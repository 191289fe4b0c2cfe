"""manage.py load_blueprints: create or update sites, PXEs and blueprints from TOML or YAML design files."""

from django.core.management.base import BaseCommand, CommandError

from contractor.blueprint.design import DesignError, LoadError, design_files_read, design_load


class Command(BaseCommand):
    help = (
        "Create or update (by name) the sites, pxes, foundation_blueprints and structure_blueprints in TOML or "
        "YAML files, all in one transaction. Scripts are inline or {script_file = path relative to the file}."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A .toml, .yaml or .yml design file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then roll everything back.")

    def handle(self, *args, files=(), dry_run=False, **options):
        try:
            document, origins = design_files_read(files)
            summary = design_load(document=document, dry_run=dry_run)
        except LoadError as error:
            origin = origins.get((error.section, error.name), "?")
            raise CommandError(f"{origin}: {error}") from error
        except DesignError as error:
            raise CommandError(str(error)) from error
        for section, counts in summary.items():
            self.stdout.write(f"{section}: {counts['created']} created, {counts['updated']} updated")
        if dry_run:
            self.stdout.write("dry run: nothing was saved")
