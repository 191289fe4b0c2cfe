"""Writes of the Redfish plugin: what a BMC's inventory says about its machine, recorded on the foundation."""

from django.core.exceptions import ValidationError
from django.db import transaction

from contractor.db import validated_save
from plugins.redfish.models import RedfishFoundation

#: id_map keys the inventory fills; the identity ones must not change once recorded (another machine answered).
IDENTITY = ("serial", "uuid")


def inventory_id_map(facts: dict) -> dict:
    """The id_map entries (as the blueprints' hardware requirements read them) of a `redfish.inventory` result."""
    if not isinstance(facts, dict):
        raise ValidationError({"id_map": f"redfish.inventory answered {facts!r}, not an object."})
    cpu, dmi = facts.get("cpu") or {}, facts.get("dmi") or {}
    entries = {
        "cpu_count": cpu.get("cores") or cpu.get("count"),
        "memory_mb": facts.get("memory_mb"),
        "interfaces": [row for row in facts.get("interfaces") or [] if isinstance(row, dict)],
        "dmi": {key: value for key, value in dmi.items() if value not in (None, "")},
        "redfish_system_id": facts.get("system_id"),
    }
    return {key: value for key, value in entries.items() if value not in (None, "", [], {})}


def _identity_changes(recorded: dict, found: dict) -> list[str]:
    old, new = recorded.get("dmi") or {}, found.get("dmi") or {}
    return [
        f"DMI {key} was {old[key]!r}, the BMC now reports {new[key]!r}"
        for key in IDENTITY
        if old.get(key) and new.get(key) and str(old[key]).lower() != str(new[key]).lower()
    ]


@transaction.atomic
def redfish_inventory_record(*, foundation: RedfishFoundation, facts: dict) -> RedfishFoundation:
    """Merge a BMC's inventory into the foundation's id_map, and give a provisioning interface without a MAC the
    first MAC the BMC lists. A DMI serial or UUID that differs from the recorded one is refused: the BMC
    answers for another machine than the one this foundation was found to be."""
    foundation = RedfishFoundation.objects.select_for_update().get(pk=foundation.pk)
    found, recorded = inventory_id_map(facts), foundation.id_map if isinstance(foundation.id_map, dict) else {}
    problems = _identity_changes(recorded, found)
    if problems:
        raise ValidationError({"id_map": [f"{foundation}: {problem}" for problem in problems]})
    foundation.id_map = {**recorded, **found}
    foundation.save(update_fields=["id_map", "updated"])
    macs = [row["mac"] for row in found.get("interfaces", []) if row.get("mac")]
    provisioning = foundation.interfaces.filter(is_provisioning=True, mac="").first()
    if macs and provisioning is not None:
        provisioning.mac = macs[0]
        validated_save(provisioning)
    return foundation
