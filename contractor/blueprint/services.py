"""Writes for blueprints (both kinds), their scripts and parents, and PXEs."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from contractor.auditing import record_change
from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.models import PXE, BluePrint, BluePrintParent, FoundationBluePrint, Script, StructureBluePrint
from contractor.blueprint.selectors import blueprint_graph
from contractor.db import in_use_error
from contractor.fields import check_config_values
from contractor.site.models import Site
from contractor.site.services import site_create, site_update

MODELS = {BluePrintKind.FOUNDATION: FoundationBluePrint, BluePrintKind.STRUCTURE: StructureBluePrint}
KIND_FIELDS = {
    BluePrintKind.FOUNDATION: {"foundation_types", "hardware_requirements"},
    BluePrintKind.STRUCTURE: set(),
}
COMMON_FIELDS = {"name", "description", "config_values"}


@transaction.atomic
def blueprint_create(
    *,
    kind: str,
    name: str,
    parents: list[str] | None = None,
    scripts: dict[str, str] | None = None,
    foundation_blueprints: list[str] | None = None,
    **fields,
) -> BluePrint:
    """Create a foundation or structure blueprint with its ordered parents, scripts and allowed foundations."""
    kind = BluePrintKind(kind)
    blueprint = MODELS[kind](name=name, kind=kind)
    return _blueprint_write(blueprint, fields, parents or [], scripts or {}, foundation_blueprints)


@transaction.atomic
def blueprint_update(
    *,
    blueprint: BluePrint,
    parents: list[str] | None = None,
    scripts: dict[str, str] | None = None,
    foundation_blueprints: list[str] | None = None,
    **fields,
) -> BluePrint:
    """Change a blueprint; `parents`, `scripts` and `foundation_blueprints` are replaced when given (not None)."""
    if not isinstance(blueprint, (FoundationBluePrint, StructureBluePrint)):
        blueprint = blueprint.subclass
    return _blueprint_write(blueprint, fields, parents, scripts, foundation_blueprints)


def _blueprint_write(blueprint, fields, parents, scripts, foundation_blueprints):
    kind = BluePrintKind(blueprint.kind)
    unknown = set(fields) - COMMON_FIELDS - KIND_FIELDS[kind]
    if unknown:
        raise ValidationError({field: f"Not a field of a {kind.label.lower()} blueprint." for field in unknown})
    if foundation_blueprints is not None and kind != BluePrintKind.STRUCTURE:
        raise ValidationError({"foundation_blueprints": "Only structure blueprints list foundation blueprints."})
    for field, value in fields.items():
        setattr(blueprint, field, value)
    blueprint.full_clean()
    blueprint.save()
    if parents is not None:
        blueprint_parents_set(blueprint=blueprint, names=parents)
    if scripts is not None:
        blueprint_scripts_set(blueprint=blueprint, scripts=scripts)
    if foundation_blueprints is not None:
        blueprint.foundation_blueprint_list.set(_foundation_blueprints_named(foundation_blueprints))
    return blueprint


def _foundation_blueprints_named(names: list[str]) -> list[FoundationBluePrint]:
    found = {bp.name: bp for bp in FoundationBluePrint.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ValidationError({"foundation_blueprints": f"Unknown foundation blueprint(s): {', '.join(missing)}."})
    return [found[name] for name in dict.fromkeys(names)]


@transaction.atomic
def blueprint_parents_set(*, blueprint: BluePrint, names: list[str]) -> None:
    """Make `names` the blueprint's parents, in that order; refuses unknown names, the other kind and cycles."""
    if len(set(names)) != len(names):
        raise ValidationError({"parents": "A parent is listed twice."})
    parents = {bp.name: bp for bp in BluePrint.objects.filter(name__in=names)}
    missing = [name for name in names if name not in parents]
    if missing:
        raise ValidationError({"parents": f"Unknown blueprint(s): {', '.join(missing)}."})
    blueprint_parents_validate(blueprint=blueprint, kind=blueprint.kind, parents=[parents[name] for name in names])
    before = list(blueprint.parent_edges.order_by("position").values_list("parent__name", flat=True))
    BluePrintParent.objects.filter(child=blueprint).delete()
    BluePrintParent.objects.bulk_create(
        BluePrintParent(child=blueprint, parent=parents[name], position=index) for index, name in enumerate(names)
    )
    # New parents bring new layers under the blueprint's values (and its children's): check them together.
    check_config_values(blueprint)
    if before != names:  # bulk writes send no model signals: the audit entry is written here
        record_change(blueprint.subclass, {"parents": [before, names]})


def blueprint_parents_validate(*, blueprint: BluePrint, kind: str, parents: list[BluePrint]) -> None:
    """Refuse parents of another kind than `kind`, and any parent that already inherits from `blueprint`."""
    wrong = [parent.name for parent in parents if parent.kind != kind]
    if wrong:
        raise ValidationError(
            {"parents": f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not {kind} blueprints."}
        )
    if blueprint.pk is None:
        return
    graph = blueprint_graph()
    for parent in parents:
        path = graph.path_up(parent.pk, blueprint.pk)
        if path is not None:
            names = dict(BluePrint.objects.filter(pk__in=path).values_list("pk", "name"))
            chain = " -> ".join([blueprint.name, *(names[pk] for pk in path)])
            raise ValidationError({"parents": f"{parent.name} closes a cycle: {chain}."})


@transaction.atomic
def blueprint_scripts_set(*, blueprint: BluePrint, scripts: dict[str, str]) -> None:
    """Make the blueprint's own scripts exactly `scripts` (name -> body); errors name the script, line and column."""
    existing = {script.name: script for script in blueprint.scripts.all()}
    errors = []
    for name, body in scripts.items():
        script = existing.get(name) or Script(blueprint=blueprint, name=name)
        if script.pk is not None and script.script == body:
            continue
        script.script = body
        try:
            script.full_clean()
        except ValidationError as error:
            errors.extend(f"{name}: {message}" for message in error.messages)
            continue
        script.save()
    if errors:
        raise ValidationError({"scripts": errors})
    blueprint.scripts.exclude(name__in=list(scripts)).delete()


@transaction.atomic
def blueprint_delete(*, blueprint: BluePrint) -> None:
    """Delete a blueprint nothing uses; raises IntegrityError (a 409) naming its children or users."""
    try:
        blueprint.delete()
    except ProtectedError as error:
        raise in_use_error(blueprint, error) from error


@transaction.atomic
def pxe_create(*, name: str, boot_script: str, description: str = "", template: str = "") -> PXE:
    """Create a PXE boot target."""
    pxe = PXE(name=name, description=description, boot_script=boot_script, template=template)
    pxe.full_clean()
    pxe.save()
    return pxe


@transaction.atomic
def pxe_update(*, pxe: PXE, **fields) -> PXE:
    """Change any of a PXE's name, description, boot_script and template."""
    for field, value in fields.items():
        if field not in ("name", "description", "boot_script", "template"):
            raise TypeError(f"pxe_update() got an unexpected field {field!r}")
        setattr(pxe, field, value)
    pxe.full_clean()
    pxe.save()
    return pxe


@transaction.atomic
def pxe_delete(*, pxe: PXE) -> None:
    """Delete a PXE; interfaces and addresses booting it fall back to none."""
    pxe.delete()


class LoadError(Exception):
    """A design document object that cannot be loaded: which section, object and field, and why."""

    def __init__(self, section: str, name, field: str, message: str):
        super().__init__(f"{section} {name!r}: {field}: {message}")
        self.section, self.name, self.field, self.message = section, name, field, message


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
BLUEPRINT_DEFAULTS = {
    "description": "",
    "parents": [],
    "config_values": {},
    "scripts": {},
}


@transaction.atomic
def blueprints_load(*, document: dict, dry_run: bool = False) -> dict[str, dict[str, int]]:
    """Create or update, by name, the sites, PXEs and blueprints of a design document, all or nothing.

    Every object is written in full (a field left out takes its default); objects not in the document are
    left alone. Parents may come after their children. Raises LoadError naming the object and field.
    """
    summary = {}
    for section in SECTION_FIELDS:
        counts = {"created": 0, "updated": 0}
        for item in _dependency_order(section, [_checked(section, item) for item in document.get(section, [])]):
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
    return _load_blueprint(
        BluePrintKind.FOUNDATION if section == "foundation_blueprints" else BluePrintKind.STRUCTURE, item
    )


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
    if site is None:
        site_create(name=item["name"], **fields)
        return "created"
    site_update(site=site, **fields)
    return "updated"


def _load_pxe(item: dict) -> str:
    fields = {key: item.get(key, "") for key in ("description", "boot_script", "template")}
    pxe = PXE.objects.filter(name=item["name"]).first()
    if pxe is None:
        pxe_create(name=item["name"], **fields)
        return "created"
    pxe_update(pxe=pxe, **fields)
    return "updated"


def _load_blueprint(kind: BluePrintKind, item: dict) -> str:
    fields = {**BLUEPRINT_DEFAULTS, **item}
    if kind == BluePrintKind.FOUNDATION:
        fields = {"foundation_types": [], "hardware_requirements": {}, **fields}
    else:
        fields = {"foundation_blueprints": [], **fields}
    existing = BluePrint.objects.filter(name=item["name"]).first()
    if existing is None:
        blueprint_create(kind=kind, **fields)
        return "created"
    if existing.kind != kind:
        raise ValidationError({"name": f"{existing.name} already exists as a {existing.kind} blueprint."})
    del fields["name"]
    blueprint_update(blueprint=existing, **fields)
    return "updated"
