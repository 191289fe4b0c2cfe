"""Writes for blueprints (both kinds), their scripts and parents, and PXEs."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from contractor.auditing import record_change
from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.models import PXE, BluePrint, BluePrintParent, FoundationBluePrint, Script, StructureBluePrint
from contractor.blueprint.selectors import blueprint_graph
from contractor.db import in_use_error, validated_save
from contractor.fields import check_config_values

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
    validated_save(blueprint)
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
            validated_save(script)
        except ValidationError as error:
            errors.extend(f"{name}: {message}" for message in error.messages)
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
    return validated_save(PXE(name=name, description=description, boot_script=boot_script, template=template))


@transaction.atomic
def pxe_update(*, pxe: PXE, **fields) -> PXE:
    """Change any of a PXE's name, description, boot_script and template."""
    for field, value in fields.items():
        if field not in ("name", "description", "boot_script", "template"):
            raise TypeError(f"pxe_update() got an unexpected field {field!r}")
        setattr(pxe, field, value)
    return validated_save(pxe)


@transaction.atomic
def pxe_delete(*, pxe: PXE) -> None:
    """Delete a PXE; interfaces and addresses booting it fall back to none."""
    pxe.delete()
