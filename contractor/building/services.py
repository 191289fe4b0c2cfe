"""Writes and state changes of foundations, structures, complexes and dependencies."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contractor.auditing import disable_auditlog, record_change
from contractor.blueprint.models import FoundationBluePrint
from contractor.blueprint.selectors import BluePrintGraph, blueprint_lineage
from contractor.building import statements
from contractor.building.choices import FoundationState, StructureState
from contractor.building.models import Complex, ComplexMember, Dependency, Foundation, Structure
from contractor.db import validated_save
from contractor.events import event_emit
from contractor.plugins import foundation_types


def foundation_model(foundation_type: str) -> type[Foundation]:
    """The plugin model of `foundation_type`; a ValidationError on `type` names the installed ones."""
    known = foundation_types()
    model = known.get(foundation_type)
    if model is None:
        raise ValidationError(
            {"type": f"Unknown foundation type {foundation_type!r}; installed: {', '.join(sorted(known)) or 'none'}."}
        )
    return model


def _transition(instance, *, store=None, **fields):
    """Save a state change: only the changed columns, without re-validating fields the change does not touch.
    `store(instance, field_names)`, if given, stores them instead (with the caller's own write)."""
    _assign(instance, fields)
    if store is not None:
        instance.updated = timezone.now()
        store(instance, [*fields, "updated"])
        return instance
    # Left out of the audit log on purpose: jobs make these changes, and their logs say when and by whose job;
    # auditing them would add queries to every finishing foreman step.
    with disable_auditlog():
        instance.save(update_fields=[*fields, "updated"])
    return instance


def _assign(instance, fields: dict):
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def foundation_create(*, foundation_type: str, **fields) -> Foundation:
    """Create a foundation of an installed type; `fields` are the base fields plus the type's own."""
    foundation = validated_save(foundation_model(foundation_type)(**fields))
    event_emit(event="foundation.created", obj=foundation, data={"type": foundation.type})
    return foundation


@transaction.atomic
def foundation_update(*, foundation: Foundation, **fields) -> Foundation:
    """Change a foundation's fields (its type's own included); its type and state stay."""
    foundation = foundation.subclass
    _assign(foundation, fields)
    return validated_save(foundation)


@transaction.atomic
def foundation_delete(*, foundation: Foundation) -> None:
    """Delete a foundation no structure sits on; one in use is refused (ProtectedError, a 409 naming the user)."""
    foundation.delete()


def hardware_requirements(blueprint: FoundationBluePrint, *, inherits: bool = True) -> dict:
    """The foundation blueprint's hardware requirements, inherited along its lineage (its own values win).
    `inherits=False`: the caller knows the blueprint has no parents, so the inheritance graph is not read."""
    merged = {}
    graph = None if inherits else BluePrintGraph({})
    for ancestor in blueprint_lineage(blueprint, graph=graph):  # ancestors are loaded as foundation blueprints too
        merged.update(ancestor.hardware_requirements or {})
    return merged


def _contains(found: list, wanted) -> bool:
    # A wanted object matches a found object holding all of its keys and values; a wanted name matches a found name
    # or a found object of that name (a discovered disk is {"name": "vda", "size_bytes": ...}).
    if isinstance(wanted, dict):
        return any(isinstance(item, dict) and wanted.items() <= item.items() for item in found)
    return wanted in found or any(isinstance(item, dict) and item.get("name") == wanted for item in found)


def _interface_names(id_map: dict) -> list:
    interfaces = id_map.get("interfaces", [])
    if not isinstance(interfaces, list):
        return []
    return [item.get("name") if isinstance(item, dict) else item for item in interfaces]


def hardware_mismatches(requirements: dict, id_map: dict) -> list[str]:
    """What in `id_map` (cpu_count, memory_mb, pci_devices, disks, interfaces) falls short of `requirements`."""
    problems = []
    for measure in ("cpu_count", "memory_mb"):
        low, high, value = requirements.get(f"{measure}_min"), requirements.get(f"{measure}_max"), id_map.get(measure)
        if low is None and high is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{measure} is missing (the blueprint needs it)")
        elif low is not None and value < low:
            problems.append(f"{measure} {value} is below the minimum {low}")
        elif high is not None and value > high:
            problems.append(f"{measure} {value} is above the maximum {high}")
    for key, found in (
        ("pci_devices", id_map.get("pci_devices", [])),
        ("disks", id_map.get("disks", [])),
        ("interface_names", _interface_names(id_map)),
    ):
        found = found if isinstance(found, list) else []
        problems += [f"{key} lacks {wanted!r}" for wanted in requirements.get(key, []) if not _contains(found, wanted)]
    return problems


def _locked_foundation(foundation: Foundation) -> Foundation:
    """The foundation's row locked, as its type's model, with the site and blueprint its event names and whether
    that blueprint has parents (`blueprint_inherits`, so a hardware check of one without reads no graph): one query."""
    return statements.locked_foundation(foundation_types().get(foundation.type, Foundation), foundation.pk)


def _check_hardware(foundation: Foundation, id_map) -> None:
    requirements = hardware_requirements(foundation.blueprint, inherits=getattr(foundation, "blueprint_inherits", True))
    if not requirements:
        return
    if not isinstance(id_map, dict) or not id_map:
        # Nothing was found out about the machine: accepting it would pass every requirement unchecked.
        needs = ", ".join(f"{key} {value}" for key, value in sorted(requirements.items()))
        problems = [f"no hardware is recorded for {foundation} (its id_map is empty); "
                    f"blueprint {foundation.blueprint} needs {needs}"]  # fmt: skip
    else:
        problems = hardware_mismatches(requirements, id_map)
    if problems:
        raise ValidationError({"id_map": [f"Hardware does not match the blueprint: {p}" for p in problems]})


def _require_state(obj, *allowed: str, action: str):
    if obj.state not in allowed:
        raise ValidationError({"state": f"{obj} is {obj.state}; only a {' or '.join(allowed)} one can be {action}."})


def _locate_fields(foundation: Foundation, id_map) -> dict:
    """What locating a locked foundation sets; refuses (ValidationError) a wrong state, a bad id_map or hardware that
    does not meet the blueprint's needs."""
    _require_state(foundation, FoundationState.PLANNED, action="located")
    fields = {"state": FoundationState.LOCATED, "located_at": timezone.now()}
    if id_map is not None and not isinstance(id_map, dict):
        raise ValidationError({"id_map": "The id_map must be a JSON object."})
    _check_hardware(foundation, foundation.id_map if id_map is None else id_map)
    if id_map is not None:
        fields["id_map"] = id_map
    return fields


def _located_event(foundation: Foundation) -> None:
    event_emit(event="foundation.located", obj=foundation, data={"type": foundation.type, "id_map": foundation.id_map})


@transaction.atomic
def foundation_locate(*, foundation: Foundation, id_map: dict | None = None) -> Foundation:
    """Planned -> located: the machine was found. Its hardware (the given `id_map`, else the one already recorded)
    must meet the blueprint's hardware needs; with needs and nothing recorded it is refused, saying what is missing.
    """
    foundation = _locked_foundation(foundation)
    foundation = _transition(foundation, **_locate_fields(foundation, id_map))
    _located_event(foundation)
    return foundation


@transaction.atomic
def foundation_set_built(*, foundation: Foundation, locate: bool = False) -> Foundation:
    """Located -> built: the foundation's create script finished. With `locate`, planned -> built: it is located
    first (as foundation_locate, both events emitted) in the same update."""
    return foundation_set_built_within(foundation=foundation, locate=locate)


def foundation_set_built_within(*, foundation: Foundation, locate: bool = False, store=None) -> Foundation:
    """`foundation_set_built` in the caller's transaction, without a savepoint of its own (two queries fewer), for
    a caller that drops the events of a refusal itself (the foreman's finishing step): every check comes before the
    one update, so a refusal (ValidationError) has written nothing to undo. `store(foundation, field_names)`, if
    given, stores the change instead of a save of its own (the foreman's step writes it with the job's row)."""
    foundation = _locked_foundation(foundation)
    fields = _locate_fields(foundation, None) if locate else {}
    if not locate:
        _require_state(foundation, FoundationState.LOCATED, action="built")
    _transition(foundation, store=store, **{**fields, "state": FoundationState.BUILT, "built_at": timezone.now()})
    if locate:
        _located_event(foundation)
    event_emit(event="foundation.built", obj=foundation, data={"type": foundation.type})
    return foundation


@transaction.atomic
def foundation_set_destroyed(*, foundation: Foundation) -> Foundation:
    """Back to planned: forgets when it was located and built and the hardware it was found as."""
    foundation = _locked_foundation(foundation)
    if Structure.objects.filter(foundation=foundation, state=StructureState.BUILT).exists():
        raise ValidationError({"structure": f"The structure on {foundation} is built; destroy it first."})
    _transition(foundation, state=FoundationState.PLANNED, located_at=None, built_at=None, id_map={})
    event_emit(event="foundation.destroyed", obj=foundation, data={"type": foundation.type})
    return foundation


def _check_hostname_free(structure: Structure):
    # The database constraint has the final word; this check names the field for the client.
    taken = Structure.objects.filter(site_id=structure.site_id, hostname=structure.hostname).exclude(pk=structure.pk)
    if structure.site_id and taken.exists():
        raise ValidationError({"hostname": f"{structure.hostname} is already used in site {structure.site}."})


def _structure_data(structure: Structure) -> dict:
    return {"hostname": structure.hostname, "foundation": structure.foundation.locator}


@transaction.atomic
def structure_create(*, hostname: str, site, blueprint, foundation, config_values: dict | None = None) -> Structure:
    """Plan a structure on a foundation; the blueprint must allow the foundation's blueprint."""
    structure = Structure(
        hostname=hostname, site=site, blueprint=blueprint, foundation=foundation, config_values=config_values or {}
    )
    _check_hostname_free(structure)
    validated_save(structure)
    event_emit(event="structure.created", obj=structure, data=_structure_data(structure))
    return structure


@transaction.atomic
def structure_update(*, structure: Structure, **fields) -> Structure:
    """Change a structure's hostname, site, blueprint, foundation or config values."""
    _assign(structure, fields)
    _check_hostname_free(structure)
    return validated_save(structure)


@transaction.atomic
def structure_delete(*, structure: Structure) -> None:
    """Delete a structure nothing waits on; its addresses and complex memberships go with it."""
    structure.delete()


@transaction.atomic
def structure_set_built(*, structure: Structure) -> Structure:
    """Planned -> built: the structure's create script finished (its foundation must be built)."""
    structure = Structure.objects.select_for_update().select_related("foundation").get(pk=structure.pk)
    _require_state(structure, StructureState.PLANNED, action="built")
    if structure.foundation.state != FoundationState.BUILT:
        raise ValidationError({"foundation": f"Foundation {structure.foundation} is {structure.foundation.state}."})
    _transition(structure, state=StructureState.BUILT, built_at=timezone.now())
    event_emit(event="structure.built", obj=structure, data=_structure_data(structure))
    return structure


@transaction.atomic
def structure_set_destroyed(*, structure: Structure) -> Structure:
    """Back to planned, with a new config_uuid so that what was handed out for the old build is void."""
    structure = Structure.objects.select_for_update().get(pk=structure.pk)
    _transition(structure, state=StructureState.PLANNED, built_at=None, config_uuid=uuid.uuid4())
    event_emit(event="structure.destroyed", obj=structure, data=_structure_data(structure))
    return structure


def _set_members(complex_: Complex, members):
    wanted = {structure.pk for structure in members}
    before = set(complex_.memberships.values_list("structure_id", flat=True))
    complex_.memberships.exclude(structure_id__in=wanted).delete()
    ComplexMember.objects.bulk_create(
        [ComplexMember(complex=complex_, structure_id=pk) for pk in sorted(wanted - before)]
    )
    if wanted != before:  # bulk writes send no model signals: the audit entry is written here
        record_change(complex_, {"members": [sorted(before), sorted(wanted)]})


@transaction.atomic
def complex_create(
    *, name: str, site, description: str = "", built_percentage: int = 90, members=(), model=Complex, **fields
) -> Complex:
    """Create a complex of structures; a plugin's complex type passes its `model` and that model's own `fields`."""
    complex_ = validated_save(
        model(name=name, site=site, description=description, built_percentage=built_percentage, **fields)
    )
    _set_members(complex_, members)
    return complex_


@transaction.atomic
def complex_update(*, complex_: Complex, members=None, **fields) -> Complex:
    """Change a complex's fields; `members`, when given, replaces the member list."""
    _assign(complex_, fields)
    validated_save(complex_)
    if members is not None:
        _set_members(complex_, members)
    return complex_


@transaction.atomic
def complex_delete(*, complex_: Complex) -> None:
    """Delete a complex; its member structures stay."""
    complex_.delete()


@transaction.atomic
def dependency_create(**fields) -> Dependency:
    """Make something wait on a structure or on another dependency."""
    return validated_save(Dependency(**fields))


@transaction.atomic
def dependency_update(*, dependency: Dependency, data: dict) -> Dependency:
    """Change what a dependency waits on, its link or its scripts (cycles are refused).

    The changes come as a dict because `dependency` is both this argument and one of the fields.
    """
    _assign(dependency, data)
    return validated_save(dependency)


@transaction.atomic
def dependency_delete(*, dependency: Dependency) -> None:
    """Delete a dependency nothing else waits on."""
    dependency.delete()
