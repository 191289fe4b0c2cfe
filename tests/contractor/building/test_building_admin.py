"""The building admin: every foundation type in one list, type admins, structures, complexes, dependencies."""

import pytest
from django.urls import reverse

from contractor.building.choices import StructureState
from contractor.building.models import Foundation
from plugins.manual.models import ManualFoundation
from tests.factories import ComplexFactory, DependencyFactory, ManualFoundationFactory, StructureFactory


@pytest.fixture
def admin_web(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def test_foundation_changelist_shows_every_type_and_state(admin_web, site, fbp):
    """The base changelist lists manual and other-type foundations with their states; filters and search work."""
    ManualFoundationFactory(locator="manual-one", site=site, blueprint=fbp, state="located")
    Foundation.objects.create(locator="retired-one", site=site, blueprint=fbp, type="retired")
    url = reverse("admin:building_foundation_changelist")
    page = admin_web.get(url).content.decode()
    assert "manual-one" in page and "retired-one" in page and "Located" in page
    filtered = admin_web.get(url + "?type=manual&state__exact=located&q=manual").content.decode()
    assert "manual-one" in filtered and "retired-one" not in filtered


def test_base_change_redirects_to_the_type_admin(admin_web, site, fbp):
    """Opening a manual foundation from the base list leads to the manual foundation admin; adding is per type."""
    foundation = ManualFoundationFactory(site=site, blueprint=fbp)
    response = admin_web.get(reverse("admin:building_foundation_change", args=[foundation.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:manual_manualfoundation_change", args=[foundation.pk])
    assert admin_web.get(reverse("admin:building_foundation_add")).status_code == 403


def test_manual_foundation_admin_adds_and_validates(admin_web, site, fbp):
    """The manual foundation admin creates one with its location notes and shows model errors on the form."""
    url = reverse("admin:manual_manualfoundation_add")
    assert admin_web.get(url).status_code == 200
    body = {"locator": "n1", "site": site.pk, "blueprint": fbp.pk, "class_list": "[]", "id_map": "{}"}
    response = admin_web.post(url, {**body, "location_notes": "rack 2"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ManualFoundation.objects.get(locator="n1").location_notes == "rack 2"
    fbp.foundation_types = ["virtualbox"]
    fbp.save()
    response = admin_web.post(url, {**body, "locator": "n2"})
    assert "blueprint" in response.context["adminform"].form.errors


def test_structure_complex_dependency_pages_load(admin_web, site):
    """Changelists, change and add pages of structures, complexes and dependencies render, with states shown."""
    structure = StructureFactory(hostname="web1", site=site, state=StructureState.BUILT)
    cluster = ComplexFactory(name="cluster-a", site=site, built_percentage=100)
    cluster.memberships.create(structure=structure)
    dependency = DependencyFactory(structure=structure)
    for model, obj, text in (
        ("structure", structure, "web1"),
        ("complex", cluster, "cluster-a"),
        ("dependency", dependency, "waits on web1"),
    ):
        changelist = admin_web.get(reverse(f"admin:building_{model}_changelist"))
        assert changelist.status_code == 200 and text in changelist.content.decode()
        assert admin_web.get(reverse(f"admin:building_{model}_change", args=[obj.pk])).status_code == 200
        assert admin_web.get(reverse(f"admin:building_{model}_add")).status_code == 200
    complex_list = admin_web.get(reverse("admin:building_complex_changelist")).content.decode()
    assert '<td class="field-state">built</td>' in complex_list
    assert (
        admin_web.get(reverse("admin:building_structure_changelist") + "?q=web1&state__exact=built").status_code == 200
    )
