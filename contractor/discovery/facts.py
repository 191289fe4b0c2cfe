"""The facts a discovery report carries: their shape, checked field by field (a 400 names the field)."""

from django.core.exceptions import ValidationError

from contractor.validators import normal_mac

# Top-level facts and the type each must have; lists hold objects with the keys below.
FACT_TYPES: dict[str, type] = {
    "cpu_count": int,
    "cpu_model": str,
    "memory_mb": int,
    "interfaces": list,
    "disks": list,
    "pci_devices": list,
    "dmi": dict,
    "bmc_address": str,
}
ITEM_KEYS = {
    "interfaces": {"name": str, "mac": str, "speed_mbps": int},
    "disks": {"name": str, "size_bytes": int, "serial": str, "model": str},
    "pci_devices": {"address": str, "vendor": str, "product": str, "class": str},
}
DMI_KEYS = ("vendor", "product", "serial", "uuid")


def _is(value, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _check_items(key: str, items: list, errors: dict) -> list:
    keys, clean = ITEM_KEYS[key], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"{key}[{index}]"] = "Must be a JSON object."
            continue
        for name, value in item.items():
            kind = keys.get(name)
            if kind is not None and value is not None and not _is(value, kind):
                errors[f"{key}[{index}].{name}"] = f"Must be a {kind.__name__}."
        if key == "interfaces" and isinstance(item.get("mac"), str) and item["mac"]:
            try:
                item = {**item, "mac": normal_mac(item["mac"])}
            except ValueError as error:
                errors[f"{key}[{index}].mac"] = str(error)
        clean.append(item)
    return clean


def checked_facts(facts) -> dict:
    """The report's facts with MACs normalised; a ValidationError naming each bad field (`facts.<key>`)."""
    if not isinstance(facts, dict):
        raise ValidationError({"facts": "The facts must be a JSON object."})
    errors: dict[str, str] = {}
    clean = dict(facts)
    for key, kind in FACT_TYPES.items():
        value = facts.get(key)
        if value is None:
            continue
        if not _is(value, kind):
            errors[key] = f"Must be a {kind.__name__}."
        elif key in ITEM_KEYS:
            clean[key] = _check_items(key, value, errors)
        elif key == "dmi":
            for name in DMI_KEYS:
                if value.get(name) is not None and not isinstance(value[name], str):
                    errors[f"dmi.{name}"] = "Must be a string."
    if errors:
        raise ValidationError({f"facts.{key}": message for key, message in errors.items()})
    return clean


def fact_macs(facts: dict) -> list[str]:
    """The MACs of the reported interfaces."""
    return [item["mac"] for item in facts.get("interfaces", []) if isinstance(item, dict) and item.get("mac")]


def id_map(facts: dict) -> dict:
    """The foundation id_map the facts give: the facts the fingerprint checks, and the machine's identity."""
    wanted = ("cpu_count", "cpu_model", "memory_mb", "interfaces", "disks", "pci_devices", "dmi", "bmc_address")
    return {key: facts[key] for key in wanted if facts.get(key) not in (None, "", [], {})}
