"""The operator roles: groups and the permissions each one holds."""

VIEWER = "viewer"
BUILDER = "builder"
INFRA_ADMIN = "infrastructure-admin"
SUBCONTRACTOR = "subcontractor"

# Models every role may read; builders may also change the things that get built.
READ_APPS = ("site", "blueprint", "building", "utilities", "foreman")
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
)

ROLE_DESCRIPTIONS = {
    VIEWER: "Reads everything, sees no secrets, changes nothing.",
    BUILDER: "Creates and changes foundations, structures, addresses and jobs.",
    INFRA_ADMIN: "Changes everything: sites, blueprints, networks, and sees secrets.",
    SUBCONTRACTOR: "A subcontractor daemon: polls for tasks and reports results, nothing else.",
}


def role_permissions(role: str, all_perms):
    """Return the subset of `all_perms` (Permission queryset) that `role` grants."""
    reads = all_perms.filter(content_type__app_label__in=READ_APPS, codename__startswith="view_")
    if role == VIEWER:
        return list(reads)
    if role == BUILDER:
        perms = list(reads)
        for label in BUILD_MODELS:
            app, model = label.split(".")
            perms += list(all_perms.filter(content_type__app_label=app, content_type__model=model))
        return perms
    if role == INFRA_ADMIN:
        return list(
            all_perms.filter(content_type__app_label__in=READ_APPS + ("user",)).exclude(
                content_type__model="user", codename__in=("add_user", "change_user", "delete_user")
            )
        )
    if role == SUBCONTRACTOR:
        return list(all_perms.filter(codename="act_as_subcontractor"))
    raise ValueError(f"unknown role {role!r}")
