"""manage.py load_blueprints: create or update sites, PXEs and blueprints from TOML or YAML design files."""

import tomllib
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from contractor.blueprint.services import SECTION_FIELDS, LoadError, blueprints_load


class Command(BaseCommand):
    help = (
        "Create or update (by name) the sites, pxes, foundation_blueprints and structure_blueprints in TOML or "
        "YAML files, all in one transaction. Scripts are inline or {script_file = path relative to the file}."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A .toml, .yaml or .yml design file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, then roll everything back.")

    def handle(self, *args, files=(), dry_run=False, **options):
        document, origins = {section: [] for section in SECTION_FIELDS}, {}
        for path in map(Path, files):
            for section, items in read_document(path).items():
                for item in items:
                    _claim(origins, section, item, path)
                    document[section].append(item)
        try:
            summary = blueprints_load(document=document, dry_run=dry_run)
        except LoadError as error:
            origin = origins.get((error.section, error.name), "?")
            raise CommandError(f"{origin}: {error}") from error
        for section, counts in summary.items():
            self.stdout.write(f"{section}: {counts['created']} created, {counts['updated']} updated")
        if dry_run:
            self.stdout.write("dry run: nothing was saved")


def _claim(origins: dict, section: str, item: dict, path: Path) -> None:
    key = (section, item["name"])
    if key in origins:
        raise CommandError(f"{path}: {section} {item['name']!r}: name: also defined in {origins[key]}.")
    origins[key] = path


def read_document(path: Path) -> dict[str, list[dict]]:
    """The sections of one design file, with script_file references replaced by the files' text."""
    data = _parse(path)
    if not isinstance(data, dict):
        raise CommandError(f"{path}: the top level must be a table/mapping of sections.")
    unknown = set(data) - set(SECTION_FIELDS)
    if unknown:
        raise CommandError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTION_FIELDS)}."
        )
    for section, items in data.items():
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in items
        ):
            raise CommandError(f"{path}: {section}: must be a list of objects, each with a name.")
        for item in items:
            if isinstance(item.get("scripts"), dict):
                item["scripts"] = _scripts(path, section, item)
    return data


def _parse(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{path}: cannot read: {error.strerror}") from error
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix in (".yaml", ".yml"):
            return yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise CommandError(f"{path}: not valid {path.suffix[1:].upper()}: {error}") from error
    raise CommandError(f"{path}: unknown format; use .toml, .yaml or .yml.")


def _scripts(path: Path, section: str, item: dict) -> dict[str, str]:
    scripts = {}
    for name, value in item["scripts"].items():
        where = f"{path}: {section} {item['name']!r}: scripts.{name}"
        if isinstance(value, str):
            scripts[name] = value
        elif isinstance(value, dict) and set(value) == {"script_file"} and isinstance(value["script_file"], str):
            try:
                scripts[name] = (path.parent / value["script_file"]).read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{where}: cannot read {value['script_file']}: {error.strerror}") from error
        else:
            raise CommandError(f'{where}: give the script inline or as {{script_file = "path"}}.')
    return scripts
