"""The operator roles: groups and the permissions each one holds."""

from django.db.models import Q

from contractor.plugins import PluginConfig

VIEWER = "viewer"
BUILDER = "builder"
INFRA_ADMIN = "infrastructure-admin"
SUBCONTRACTOR = "subcontractor"

# The apps every role but the subcontractor may read; installed plugins' apps count as building apps.
READ_APPS = ("site", "blueprint", "building", "utilities", "foreman", "subcontracting", "dns", "webhooks", "discovery")
# Models builders may add, change and delete (besides every model of a plugin app, i.e. its foundation types).
BUILD_MODELS = (
    "building.foundation",
    "building.structure",
    "building.complex",
    "building.complexmember",
    "building.dependency",
    "utilities.address",
    "utilities.realnetworkinterface",
    "utilities.aggregatednetworkinterface",
    "foreman.job",
    "discovery.discoveredmachine",
)
# Builders may also report what they see on a machine: POST /api/v1/hardware-events/ (adding events, nothing else).
BUILD_EXTRA_PERMISSIONS = (("webhooks", "add_event"),)
SECRETS_PERMISSION = ("user", "view_secrets")
AUDIT_PERMISSION = ("auditlog", "view_logentry")  # every role but the subcontractor reads the audit log; none edits it
SUBCONTRACTOR_PERMISSION = ("user", "act_as_subcontractor")

ROLE_DESCRIPTIONS = {
    VIEWER: "Reads everything, sees no secrets, changes nothing.",
    BUILDER: "Creates and changes foundations, structures, complexes, dependencies, addresses, interfaces and jobs, "
    "assigns discovered machines and reports hardware events.",
    INFRA_ADMIN: "Changes everything: sites, blueprints, PXEs, networks, address blocks, and sees secrets.",
    SUBCONTRACTOR: "A subcontractor daemon: polls for tasks and reports results, nothing else.",
}


def plugin_apps() -> tuple[str, ...]:
    """App labels of the installed plugins, whose models (foundation types) belong with building."""
    from django.apps import apps
    from django.conf import settings

    # settings.PLUGINS too: an apps.py that imports PluginConfig by name makes Django skip its own AppConfig.
    return tuple(
        config.label
        for config in apps.get_app_configs()
        if isinstance(config, PluginConfig) or config.name in settings.PLUGINS
    )


def _permission(app_label: str, codename: str) -> Q:
    return Q(content_type__app_label=app_label, codename=codename)


def _build_models() -> Q:
    models = Q(content_type__app_label__in=plugin_apps())
    for label in BUILD_MODELS:
        app, model = label.split(".")
        models |= Q(content_type__app_label=app, content_type__model=model)
    for app, codename in BUILD_EXTRA_PERMISSIONS:
        models |= _permission(app, codename)
    return models


def role_permissions(role: str, all_perms):
    """Return the subset of `all_perms` (Permission queryset) that `role` grants."""
    apps = READ_APPS + plugin_apps()
    reads = Q(content_type__app_label__in=apps, codename__startswith="view_") | _permission(*AUDIT_PERMISSION)
    if role == VIEWER:
        grant = reads
    elif role == BUILDER:
        grant = reads | _build_models()
    elif role == INFRA_ADMIN:
        # Infrastructure admins see who the users are, but only superusers manage them.
        grant = Q(content_type__app_label__in=apps) | _permission(*SECRETS_PERMISSION) | _permission(*AUDIT_PERMISSION)
        grant |= _permission("user", "view_user")
    elif role == SUBCONTRACTOR:
        grant = _permission(*SUBCONTRACTOR_PERMISSION)
    else:
        raise ValueError(f"unknown role {role!r}")
    return list(all_perms.filter(grant))
