"""The operator roles: the permissions each group holds, and what each may do at a sample endpoint per app."""

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from contractor.rest_urls import router
from contractor.user import roles
from contractor.user.services import roles_sync

pytestmark = pytest.mark.django_db

DOMAIN_APPS = (
    "site",
    "blueprint",
    "building",
    "utilities",
    "foreman",
    "subcontracting",
    "dns",
    "webhooks",
    "discovery",
    "manual",
    "ipmi",
    "libvirt",
    "containers",
    "redfish",
    "aws",
)
BUILDER_WRITES = {
    "building.foundation",
    "building.structure",
    "building.complex",
    "building.complexmember",
    "building.dependency",
    "manual.manualfoundation",
    "ipmi.ipmifoundation",
    "libvirt.libvirtfoundation",
    "libvirt.libvirtcomplex",
    "redfish.redfishfoundation",
    "aws.ec2foundation",
    "aws.awsaccount",
    "utilities.address",
    "utilities.realnetworkinterface",
    "utilities.aggregatednetworkinterface",
    "foreman.job",
    "discovery.discoveredmachine",
    "containers.containerfoundation",
    "containers.containercomplex",
    "containers.containerport",
}


def granted(role: str) -> set[str]:
    group = roles_sync()[role]
    return {
        f"{app}.{codename}" for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def domain_permissions() -> set[str]:
    perms = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)
    return {f"{app}.{codename}" for app, codename in perms.values_list("content_type__app_label", "codename")}


def test_viewer_views_every_domain_model_and_nothing_else():
    """viewer holds exactly the view permissions of the domain apps, plugin foundation models included."""
    views = {perm for perm in domain_permissions() if perm.split(".")[1].startswith("view_")}
    assert "manual.view_manualfoundation" in views
    assert granted(roles.VIEWER) == views | {"auditlog.view_logentry"}  # and the audit log


def test_builder_changes_only_what_gets_built():
    """builder = viewer + add/change/delete on foundations (plugin types too), structures, complexes,
    dependencies, addresses, interfaces and jobs, and adding (hardware) events; never sites, blueprints, PXEs,
    networks or blocks."""
    perms = granted(roles.BUILDER)
    writes = {perm for perm in perms if not perm.split(".")[1].startswith("view_")}
    assert {
        f"{perm.split('.')[0]}.{action}_{perm.split('.')[1]}"
        for perm in BUILDER_WRITES
        for action in (
            "add",
            "change",
            "delete",
        )
    } | {"webhooks.add_event"} == writes
    assert granted(roles.VIEWER) <= perms
    assert "user.view_secrets" not in perms


def test_infra_admin_holds_every_domain_permission_and_secrets():
    """infrastructure-admin holds every permission of the domain apps plus user.view_secrets, and no user admin."""
    expected = domain_permissions() | {"user.view_secrets", "user.view_user", "auditlog.view_logentry"}
    assert granted(roles.INFRA_ADMIN) == expected


def test_subcontractor_only_acts_as_subcontractor():
    """subcontractor holds the custom act_as_subcontractor permission and nothing else."""
    assert granted(roles.SUBCONTRACTOR) == {"user.act_as_subcontractor"}


def test_roles_sync_is_idempotent_and_repairs_groups():
    """Running roles_sync again restores a group whose permissions were tampered with."""
    roles_sync()
    viewer = Group.objects.get(name=roles.VIEWER)
    viewer.permissions.add(Permission.objects.get(codename="delete_site"))
    roles_sync()
    assert not viewer.permissions.filter(codename="delete_site").exists()
    assert Group.objects.filter(name__in=roles.ROLE_DESCRIPTIONS).count() == 4


# collection -> (who may write it); every role but subcontractor may read every domain collection.
SAMPLES = {
    "sites": {roles.INFRA_ADMIN},
    "foundation-blueprints": {roles.INFRA_ADMIN},
    "pxes": {roles.INFRA_ADMIN},
    "foundations": {roles.BUILDER, roles.INFRA_ADMIN},
    "structures": {roles.BUILDER, roles.INFRA_ADMIN},
    "networks": {roles.INFRA_ADMIN},
    "addresses": {roles.BUILDER, roles.INFRA_ADMIN},
    "jobs": {roles.BUILDER, roles.INFRA_ADMIN},
    "users": set(),
}
ROLES = [roles.VIEWER, roles.BUILDER, roles.INFRA_ADMIN, roles.SUBCONTRACTOR]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("collection", list(SAMPLES))
def test_role_at_sample_endpoint(make_user, role, collection):
    """Each role reads and writes a sample collection of every app exactly as its permissions say:
    403 when refused; when allowed, a write of `{}` gets past the permission check (400 or 405)."""
    assert collection in {prefix for prefix, _, _ in router.registry}
    client = APIClient()
    client.force_authenticate(make_user(f"as-{role}", role))
    url = f"/api/v1/{collection}/"
    may_read = role != roles.SUBCONTRACTOR and (collection != "users" or role == roles.INFRA_ADMIN)
    assert client.get(url).status_code == (200 if may_read else 403)
    status = client.post(url, {}, format="json").status_code
    if role in SAMPLES[collection]:
        assert status in (400, 405), status
    else:
        assert status == 403
