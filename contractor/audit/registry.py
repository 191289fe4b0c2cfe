"""Which models the audit log follows, under the object type names the API filters by."""

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from contractor.plugins import foundation_types
from contractor.redaction import SecretCharField, is_secret_key

# object type -> model label; "foundation" also covers every installed foundation type (see object_types()).
AUDITED = {
    "site": "site.Site",
    "foundation-blueprint": "blueprint.FoundationBluePrint",
    "structure-blueprint": "blueprint.StructureBluePrint",
    "script": "blueprint.Script",
    "pxe": "blueprint.PXE",
    "structure": "building.Structure",
    "complex": "building.Complex",
    "dependency": "building.Dependency",
    "network": "utilities.Network",
    "address-block": "utilities.AddressBlock",
    "address": "utilities.Address",
    "interface": "utilities.RealNetworkInterface",
    "aggregated-interface": "utilities.AggregatedNetworkInterface",
    "zone": "dns.Zone",
    "webhook-subscription": "webhooks.Subscription",
    "user": "user.User",
}
# Entries written by hand (contractor.auditing.record_change), not by model signals.
RECORDED_ONLY = {"job": "foreman.Job"}
# Fields whose changes are bookkeeping, not edits: every model's `updated` stamp, a user's login times.
EXCLUDED_FIELDS = {"user.User": ["last_login"]}
ALWAYS_EXCLUDED = ["updated"]
M2M_FIELDS = {
    "blueprint.StructureBluePrint": {"foundation_blueprint_list"},
    "utilities.AggregatedNetworkInterface": {"members"},
    "user.User": {"groups", "user_permissions"},
}
SECRET_JSON_FIELDS = ("config_values", "id_map")  # kept with their shape, secrets redacted key by key


def audited_models() -> dict[str, list]:
    """object type -> the models it covers: each with its plugins' concrete subclasses (a libvirt complex is a
    complex), and every installed foundation type."""
    models = {name: _with_subclasses(apps.get_model(label)) for name, label in {**AUDITED, **RECORDED_ONLY}.items()}
    models["foundation"] = sorted(foundation_types().values(), key=lambda model: model._meta.label)
    return models


def _with_subclasses(model) -> list:
    found, pending = [model], list(model.__subclasses__())
    while pending:
        subclass = pending.pop()
        pending.extend(subclass.__subclasses__())
        if not subclass._meta.abstract and not subclass._meta.proxy and subclass._meta.app_config is not None:
            found.append(subclass)
    return found


def register_all() -> None:
    """Register every audited model with django-auditlog, masking secrets; safe to call again."""
    for name, models in audited_models().items():
        if name in RECORDED_ONLY:
            continue
        for model in models:
            if auditlog.contains(model):
                continue
            label = model._meta.label
            excluded = ALWAYS_EXCLUDED + EXCLUDED_FIELDS.get(label, [])
            auditlog.register(
                model,
                # the model's own columns only: reverse relations are other objects' changes
                include_fields=[field.name for field in model._meta.concrete_fields if field.name not in excluded],
                exclude_fields=excluded,
                mask_fields=secret_fields(model),
                mask_callable="contractor.auditing.mask",
                m2m_fields=M2M_FIELDS.get(label, set()),
            )


def secret_fields(model) -> list[str]:
    """Fields whose values the log must not hold: secret-named ones, SecretCharFields, config values and id_maps."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if is_secret_key(field.name) or isinstance(field, SecretCharField) or field.name in SECRET_JSON_FIELDS
    ]


def object_types() -> dict[str, list[int]]:
    """object type -> content type ids, for the API's filter and its answers (ContentType caches the lookups)."""
    return {
        name: [content_type.pk for content_type in ContentType.objects.get_for_models(*models).values()]
        for name, models in audited_models().items()
    }


def object_type_of(content_type_id: int) -> str | None:
    return next((name for name, ids in object_types().items() if content_type_id in ids), None)
