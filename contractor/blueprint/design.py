"""Design documents: the sites, PXEs and blueprints as TOML or YAML, exported and loaded in one format.

A design document is a mapping of the sections in SECTION_FIELDS, each a list of objects named by `name`, whose
fields are the ones SECTION_FIELDS lists. `design_export()` writes every object with its empty fields left out;
`design_load()` creates or updates objects by name, a field left out taking its default, so what one writes the
other reads back to the same objects. `design_text()` and `design_files_read()` turn a document into a file and
files into a document (scripts inline, or `{script_file = "path"}` relative to the file).
"""

import tomllib
from pathlib import Path

import tomli_w
import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.models import PXE, BluePrint
from contractor.blueprint.selectors import foundation_blueprint_list, structure_blueprint_list
from contractor.blueprint.services import blueprint_create, blueprint_update, pxe_create, pxe_update
from contractor.redaction import RedactedValueMissing, redact, restore_redacted
from contractor.site.models import Site
from contractor.site.services import site_create, site_update

SECTION_FIELDS = {
    "sites": {"name": str, "description": str, "parent": (str, type(None)), "config_values": dict},
    "pxes": {"name": str, "description": str, "boot_script": str, "template": str},
    "foundation_blueprints": {
        "name": str,
        "description": str,
        "parents": list,
        "config_values": dict,
        "foundation_types": list,
        "hardware_requirements": dict,
        "scripts": dict,
    },
    "structure_blueprints": {
        "name": str,
        "description": str,
        "parents": list,
        "config_values": dict,
        "foundation_blueprints": list,
        "scripts": dict,
    },
}
FORMATS = ("toml", "yaml")


class DesignError(Exception):
    """A design file or document that cannot be read, loaded or written; the message says where and why."""


class LoadError(DesignError):
    """A design document object that cannot be loaded: which section, object and field, and why."""

    def __init__(self, section: str, name, field: str, message: str):
        where = f"{section} {name!r}" if name != "" else section
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.section, self.name, self.field, self.message = section, name, field, message

    def detail(self) -> dict:
        """The error as the API answers it: section -> object name -> field -> messages (the ones given)."""
        detail: dict | list = [self.message]
        for key in (self.field, self.name, self.section):
            if key != "":
                detail = {str(key): detail}
        return detail


# -- export ------------------------------------------------------------------------------------------------------


def design_export() -> dict[str, list[dict]]:
    """Every site, PXE and blueprint as a design document, by name, empty fields (and empty sections) left out."""
    document = {
        "sites": [_site_item(site) for site in Site.objects.select_related("parent").order_by("name")],
        "pxes": [_pxe_item(pxe) for pxe in PXE.objects.order_by("name")],
        "foundation_blueprints": [_foundation_item(bp) for bp in foundation_blueprint_list().order_by("name")],
        "structure_blueprints": [_structure_item(bp) for bp in structure_blueprint_list().order_by("name")],
    }
    return {section: [_without_empty(item) for item in items] for section, items in document.items() if items}


def _site_item(site: Site) -> dict:
    parent = site.parent and site.parent.name
    return {"name": site.name, "description": site.description, "parent": parent, "config_values": site.config_values}


def _pxe_item(pxe: PXE) -> dict:
    return {"name": pxe.name, "description": pxe.description, "boot_script": pxe.boot_script, "template": pxe.template}


def _blueprint_item(blueprint: BluePrint) -> dict:
    return {
        "name": blueprint.name,
        "description": blueprint.description,
        "parents": [edge.parent.name for edge in blueprint.parent_edges.all()],
        "config_values": blueprint.config_values,
    }


def _scripts_item(blueprint: BluePrint) -> dict:
    return {"scripts": {script.name: script.script for script in blueprint.scripts.all()}}


def _foundation_item(blueprint) -> dict:
    kind_fields = {
        "foundation_types": blueprint.foundation_types,
        "hardware_requirements": blueprint.hardware_requirements,
    }
    return {**_blueprint_item(blueprint), **kind_fields, **_scripts_item(blueprint)}


def _structure_item(blueprint) -> dict:
    allowed = sorted(bp.name for bp in blueprint.foundation_blueprint_list.all())
    return {**_blueprint_item(blueprint), "foundation_blueprints": allowed, **_scripts_item(blueprint)}


def _without_empty(item: dict) -> dict:
    return {key: value for key, value in item.items() if value not in ("", None, [], {})}


# -- text --------------------------------------------------------------------------------------------------------


def design_text(document: dict, format: str) -> str:
    """The design document as TOML or YAML text, multi-line scripts kept as readable blocks."""
    if format == "yaml":
        return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=120)
    return tomli_w.dumps(_toml_ready(document), multiline_strings=True)


def _toml_ready(document: dict) -> dict:
    """The design with each `~key` mask's (ignored) null written as `true`, since TOML has no null.

    Any other null is a DesignError naming the object and the key, so nothing is silently changed.
    """
    ready = {}
    for section, items in document.items():
        ready[section] = [_masks_as_true(item) for item in items]
        for item in ready[section]:
            where = _null_path(item)
            if where:
                raise DesignError(
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


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` block scalars."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def design_files_read(paths: list[Path]) -> tuple[dict[str, list[dict]], dict[tuple[str, str], Path]]:
    """One document from several design files, and (section, name) -> the file that defines it.

    An object defined in two files is a DesignError naming both.
    """
    document: dict[str, list[dict]] = {section: [] for section in SECTION_FIELDS}
    origins: dict[tuple[str, str], Path] = {}
    for path in map(Path, paths):
        for section, items in design_file_read(path).items():
            for item in items:
                key = (section, item["name"])
                if key in origins:
                    raise DesignError(f"{path}: {section} {item['name']!r}: name: also defined in {origins[key]}.")
                origins[key] = path
                document[section].append(item)
    return document, origins


def design_file_read(path: Path) -> dict[str, list[dict]]:
    """The sections of one design file, with script_file references replaced by the files' text."""
    data = _parse(path)
    if not isinstance(data, dict):
        raise DesignError(f"{path}: the top level must be a table/mapping of sections.")
    unknown = set(data) - set(SECTION_FIELDS)
    if unknown:
        raise DesignError(
            f"{path}: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTION_FIELDS)}."
        )
    for section, items in data.items():
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in items
        ):
            raise DesignError(f"{path}: {section}: must be a list of objects, each with a name.")
        for item in items:
            if isinstance(item.get("scripts"), dict):
                item["scripts"] = _scripts_read(path, section, item)
    return data


def _parse(path: Path):
    text = _text_read(path, path)
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix in (".yaml", ".yml"):
            return yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise DesignError(f"{path}: not valid {path.suffix[1:].upper()}: {error}") from error
    raise DesignError(f"{path}: unknown format; use .toml, .yaml or .yml.")


def _scripts_read(path: Path, section: str, item: dict) -> dict[str, str]:
    scripts = {}
    for name, value in item["scripts"].items():
        where = f"{path}: {section} {item['name']!r}: scripts.{name}"
        if isinstance(value, str):
            scripts[name] = value
        elif isinstance(value, dict) and set(value) == {"script_file"} and isinstance(value["script_file"], str):
            scripts[name] = _text_read(script_file_path(path, value["script_file"], where), where)
        else:
            raise DesignError(f'{where}: give the script inline or as {{script_file = "path"}}.')
    return scripts


def script_file_path(design: Path, name: str, where: str) -> Path:
    """The file a `script_file` names, relative to the design file; one that leaves its directory is refused.

    Absolute paths, `..` and symbolic links that lead outside the design file's directory are all refused, so a
    design file cannot read what lies elsewhere on the machine that loads it.
    """
    folder = design.resolve().parent
    target = (folder / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(folder):
        raise DesignError(f"{where}: script_file {name!r} leaves the design file's directory {folder}.")
    return target


def _text_read(path: Path, where) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DesignError(f"{where}: cannot read {path.name}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise DesignError(f"{where}: {path.name} is not UTF-8 text (byte {error.start}).") from error


def design_redacted(document: dict, names=()) -> dict:
    """The document with the value of every secret config key replaced by the redaction marker."""
    return {
        section: [
            {**item, "config_values": redact(item["config_values"], names)} if "config_values" in item else item
            for item in items
        ]
        for section, items in document.items()
    }


# -- load --------------------------------------------------------------------------------------------------------

BLUEPRINT_DEFAULTS = {"description": "", "parents": [], "config_values": {}, "scripts": {}}
KIND_DEFAULTS = {
    BluePrintKind.FOUNDATION: {"foundation_types": [], "hardware_requirements": {}},
    BluePrintKind.STRUCTURE: {"foundation_blueprints": []},
}


@transaction.atomic
def design_load(*, document: dict, dry_run: bool = False) -> dict[str, dict[str, int]]:
    """Create or update, by name, the sites, PXEs and blueprints of a design document, all or nothing.

    Every object is written in full (a field left out takes its default); objects not in the document are
    left alone. Parents may come after their children. Raises LoadError naming the object and field.
    """
    unknown = sorted(set(document) - set(SECTION_FIELDS))
    if unknown:
        raise LoadError(unknown[0], "", "", f"Unknown section; known: {', '.join(SECTION_FIELDS)}.")
    checked = {}
    for section in SECTION_FIELDS:  # every object's shape first, so the error named is not hidden behind a save
        items = document.get(section, [])
        if not isinstance(items, list):
            raise LoadError(section, "", "", "Must be a list of objects, each with a name.")
        checked[section] = _dependency_order(section, [_checked(section, item) for item in items])
    summary = {}
    for section in SECTION_FIELDS:
        counts = {"created": 0, "updated": 0}
        for item in checked[section]:
            try:
                counts[_load_item(section, item)] += 1
            except ValidationError as error:
                field, messages = next(iter(_error_fields(error).items()))
                raise LoadError(section, item["name"], field, " ".join(messages)) from error
        summary[section] = counts
    if dry_run:
        transaction.set_rollback(True)
    return summary


def _error_fields(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {("name" if field == "__all__" else field): messages for field, messages in error.message_dict.items()}
    return {"name": error.messages}


def _checked(section: str, item) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise LoadError(section, item.get("name") if isinstance(item, dict) else item, "name", "Each needs a name.")
    types = SECTION_FIELDS[section]
    for field, value in item.items():
        if field not in types:
            raise LoadError(section, item["name"], field, f"Unknown field; known: {', '.join(types)}.")
        if not isinstance(value, types[field]):
            raise LoadError(section, item["name"], field, f"Has the wrong type ({type(value).__name__}).")
    for name, script in item.get("scripts", {}).items():
        if not isinstance(script, str):
            raise LoadError(section, item["name"], f"scripts.{name}", "Must be the script's text.")
    return item


def _dependency_order(section: str, items: list[dict]) -> list[dict]:
    """`items` with every parent named in the same section before its children."""
    by_name = {item["name"]: item for item in items}
    field = "parent" if section == "sites" else "parents"
    ordered, done = [], set()

    def visit(item, path):
        if item["name"] in done:
            return
        if item["name"] in path:
            loop = " -> ".join([*path[path.index(item["name"]) :], item["name"]])
            raise LoadError(section, item["name"], field, f"Parents form a cycle: {loop}.")
        parents = item.get(field) or []
        for parent in [parents] if isinstance(parents, str) else parents:
            if parent in by_name:
                visit(by_name[parent], [*path, item["name"]])
        done.add(item["name"])
        ordered.append(item)

    for item in items:
        visit(item, [])
    return ordered


def _load_item(section: str, item: dict) -> str:
    if section == "sites":
        return _load_site(item)
    if section == "pxes":
        return _load_pxe(item)
    kind = BluePrintKind.FOUNDATION if section == "foundation_blueprints" else BluePrintKind.STRUCTURE
    return _load_blueprint(kind, item)


def _load_site(item: dict) -> str:
    parent = None
    if item.get("parent"):
        parent = Site.objects.filter(name=item["parent"]).first()
        if parent is None:
            raise ValidationError({"parent": f"Unknown site {item['parent']}."})
    fields = {
        "description": item.get("description", ""),
        "parent": parent,
        "config_values": item.get("config_values", {}),
    }
    site = Site.objects.filter(name=item["name"]).first()
    fields["config_values"] = _secrets_kept(fields["config_values"], site)
    site_update(site=site, **fields) if site else site_create(name=item["name"], **fields)
    return "updated" if site else "created"


def _load_pxe(item: dict) -> str:
    fields = {key: item.get(key, "") for key in ("description", "boot_script", "template")}
    pxe = PXE.objects.filter(name=item["name"]).first()
    pxe_update(pxe=pxe, **fields) if pxe else pxe_create(name=item["name"], **fields)
    return "updated" if pxe else "created"


def _load_blueprint(kind: BluePrintKind, item: dict) -> str:
    fields = {**BLUEPRINT_DEFAULTS, **KIND_DEFAULTS[kind], **item}
    existing = BluePrint.objects.filter(name=item["name"]).first()
    if existing is None:
        blueprint_create(kind=kind, **fields)
        return "created"
    if existing.kind != kind:
        raise ValidationError({"name": f"{existing.name} already exists as a {existing.kind} blueprint."})
    del fields["name"]
    fields["config_values"] = _secrets_kept(fields["config_values"], existing)
    blueprint_update(blueprint=existing, **fields)
    return "updated"


def _secrets_kept(config: dict, existing) -> dict:
    """`config` with each redaction marker replaced by the stored secret, as an export shown redacted holds them."""
    try:
        return restore_redacted(config, existing.config_values if existing is not None else {})
    except RedactedValueMissing as error:
        raise ValidationError({"config_values": str(error)}) from error
