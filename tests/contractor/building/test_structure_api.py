"""The structures, complexes and dependencies collections: CRUD, validation errors, permissions, budgets."""

import pytest

from contractor.building.choices import StructureState
from contractor.building.models import Complex, Dependency, Structure
from tests.factories import (
    ComplexFactory,
    DependencyFactory,
    ManualFoundationFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)

STRUCTURES = "/api/v1/structures/"
COMPLEXES = "/api/v1/complexes/"
DEPENDENCIES = "/api/v1/dependencies/"


@pytest.fixture
def foundation(site, fbp):
    return ManualFoundationFactory(locator="node-a1", site=site, blueprint=fbp)


def structure_payload(**extra):
    return {"hostname": "web1", "site": "prod-east", "blueprint": "web", "foundation": "node-a1", **extra}


def test_builder_creates_a_structure(builder_client, sbp, foundation):
    """POST creates a planned structure with a config_uuid, referenced by names and the locator."""
    response = builder_client.post(STRUCTURES, structure_payload(config_values={"role": "web"}), format="json")
    assert response.status_code == 201, response.data
    structure = Structure.objects.get(hostname="web1")
    assert response.data["id"] == structure.pk
    assert response.data["foundation"] == "node-a1" and response.data["state"] == "planned"
    assert response.data["config_uuid"] == str(structure.config_uuid)
    assert structure.config_values == {"role": "web"}


def test_state_and_config_uuid_are_read_only(builder_client, sbp, foundation):
    """A client cannot set state or config_uuid: a body naming them is a 400 naming both, and nothing is made."""
    body = structure_payload(state="built", config_uuid="00000000-0000-0000-0000-000000000000")
    response = builder_client.post(STRUCTURES, body, format="json")
    assert response.status_code == 400
    assert sorted(response.data) == ["config_uuid", "state"] and "read-only" in str(response.data["state"][0])
    assert not Structure.objects.exists()
    assert builder_client.post(STRUCTURES, structure_payload(), format="json").status_code == 201
    assert Structure.objects.get().state == StructureState.PLANNED


def test_disallowed_blueprint_names_blueprint(builder_client, sbp, foundation):
    """A structure blueprint that may not sit on the foundation's blueprint is a 400 on `blueprint`."""
    StructureBluePrintFactory(name="db")
    response = builder_client.post(STRUCTURES, structure_payload(blueprint="db"), format="json")
    assert response.status_code == 400 and "blueprint" in response.data


def test_hostname_taken_in_site_names_hostname(builder_client, site, sbp, fbp, foundation):
    """A hostname used in the same site is a 400 on `hostname`; another site may use it."""
    StructureFactory(hostname="web1", site=site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp))
    response = builder_client.post(STRUCTURES, structure_payload(), format="json")
    assert response.status_code == 400 and "hostname" in response.data
    SiteFactory(name="west")
    assert builder_client.post(STRUCTURES, structure_payload(site="west"), format="json").status_code == 201


def test_second_structure_on_a_foundation_names_foundation(builder_client, sbp, foundation):
    """A foundation carries at most one structure: the second is a 400 on `foundation`."""
    assert builder_client.post(STRUCTURES, structure_payload(), format="json").status_code == 201
    response = builder_client.post(STRUCTURES, structure_payload(hostname="web2"), format="json")
    assert response.status_code == 400 and "foundation" in response.data


def test_bad_hostname_names_hostname(builder_client, sbp, foundation):
    """A hostname that is not one is a 400 on `hostname`."""
    response = builder_client.post(STRUCTURES, structure_payload(hostname="-bad_"), format="json")
    assert response.status_code == 400 and "hostname" in response.data


def test_update_and_delete_structure(builder_client, sbp, foundation):
    """PATCH changes the hostname; DELETE removes the structure."""
    structure_id = builder_client.post(STRUCTURES, structure_payload(), format="json").data["id"]
    response = builder_client.patch(f"{STRUCTURES}{structure_id}/", {"hostname": "web9"}, format="json")
    assert response.status_code == 200, response.data
    assert Structure.objects.get().hostname == "web9"
    assert builder_client.delete(f"{STRUCTURES}{structure_id}/").status_code == 204


def test_viewer_reads_structures_only(viewer_client, sbp, foundation):
    """A viewer lists structures but cannot create one."""
    assert viewer_client.get(STRUCTURES).status_code == 200
    assert viewer_client.post(STRUCTURES, structure_payload(), format="json").status_code == 403


def test_structure_filters(viewer_client, site):
    """Structures filter by site, hostname, state and foundation locator."""
    web = StructureFactory(hostname="web1", site=site, state=StructureState.BUILT)
    StructureFactory(hostname="db1", site=SiteFactory(name="west"))

    def hostnames(query):
        return [row["hostname"] for row in viewer_client.get(STRUCTURES + query).data["results"]]

    assert hostnames("?site=prod-east") == ["web1"]
    assert hostnames("?state=planned") == ["db1"]
    assert hostnames("?hostname=db1") == ["db1"]
    assert hostnames(f"?foundation={web.foundation.locator}&blueprint={web.blueprint.name}") == ["web1"]


@pytest.mark.parametrize("count", [2, 10])
def test_structure_list_query_budget(viewer_client, site, django_assert_max_num_queries, count):
    """Listing structures costs the same number of queries at 2 and 10 rows."""
    for _ in range(count):
        StructureFactory(site=site)
    # 5: one of them reads the declared secret_keys, for the config values a viewer sees redacted
    with django_assert_max_num_queries(5):
        assert len(viewer_client.get(STRUCTURES).data["results"]) == count


def test_structure_config(viewer_client, site):
    """GET config/ returns the structure's merged config, its own values winning over the site's."""
    site.config_values = {"role": "site-default", "ntp": "pool"}
    site.save()
    structure = StructureFactory(site=site, config_values={"role": "web"})
    data = viewer_client.get(f"{STRUCTURES}{structure.pk}/config/").data
    assert data["role"] == "web" and data["ntp"] == "pool"


def test_complex_crud_and_state(builder_client, site):
    """A complex is created with member ids and addressed by name; its state follows its members."""
    built = StructureFactory(site=site, state=StructureState.BUILT)
    planned = StructureFactory(site=site)
    body = {"name": "vm-cluster", "site": "prod-east", "built_percentage": 50, "members": [built.pk, planned.pk]}
    response = builder_client.post(COMPLEXES, body, format="json")
    assert response.status_code == 201, response.data
    detail = builder_client.get(f"{COMPLEXES}vm-cluster/").data
    assert sorted(detail["members"]) == sorted([built.pk, planned.pk]) and detail["state"] == "built"
    response = builder_client.patch(f"{COMPLEXES}vm-cluster/", {"built_percentage": 100}, format="json")
    assert response.status_code == 200
    assert builder_client.get(f"{COMPLEXES}vm-cluster/").data["state"] == "planned"
    builder_client.patch(f"{COMPLEXES}vm-cluster/", {"members": [built.pk]}, format="json")
    assert list(Complex.objects.get().members.values_list("pk", flat=True)) == [built.pk]


def test_complex_bad_percentage_names_field(builder_client, site):
    """A built_percentage over 100 is a 400 on `built_percentage`."""
    response = builder_client.post(COMPLEXES, {"name": "c1", "site": "prod-east", "built_percentage": 150})
    assert response.status_code == 400 and "built_percentage" in response.data


@pytest.mark.parametrize("count", [2, 8])
def test_complex_list_query_budget(viewer_client, site, django_assert_max_num_queries, count):
    """Listing complexes with members and computed states costs the same at 2 and 8 rows."""
    for _ in range(count):
        complex_ = ComplexFactory(site=site)
        complex_.memberships.create(structure=StructureFactory(site=site, state=StructureState.BUILT))
        complex_.memberships.create(structure=StructureFactory(site=site))
    with django_assert_max_num_queries(5):
        rows = viewer_client.get(COMPLEXES).data["results"]
    assert len(rows) == count and all(len(row["members"]) == 2 and row["state"] == "planned" for row in rows)


def test_dependency_crud(builder_client, site):
    """A dependency of a foundation on a structure is created with the locator and the structure id."""
    structure = StructureFactory(site=site)
    waiter = ManualFoundationFactory(site=site)
    body = {"structure": structure.pk, "foundation": waiter.locator, "link": "hard"}
    response = builder_client.post(DEPENDENCIES, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["foundation"] == waiter.locator and response.data["state"] == "planned"
    dependency = Dependency.objects.get()
    assert (dependency.structure, dependency.foundation.pk, dependency.link) == (structure, waiter.pk, "hard")
    assert builder_client.delete(f"{DEPENDENCIES}{dependency.pk}/").status_code == 204


def test_dependency_errors_name_fields(builder_client, site):
    """No source is a 400 on `structure`; scripts without a script structure a 400 on `script_structure`."""
    assert "structure" in builder_client.post(DEPENDENCIES, {}, format="json").data
    body = {"structure": StructureFactory(site=site).pk, "create_script_name": "start"}
    assert "script_structure" in builder_client.post(DEPENDENCIES, body, format="json").data


def test_dependency_cycle_via_api(builder_client):
    """Pointing a dependency at one that waits on it is a 400 on `dependency`."""
    first = DependencyFactory()
    second = Dependency.objects.create(dependency=first)
    body = {"structure": None, "dependency": second.pk}
    response = builder_client.patch(f"{DEPENDENCIES}{first.pk}/", body, format="json")
    assert response.status_code == 400 and "dependency" in response.data


@pytest.mark.parametrize("count", [2, 8])
def test_dependency_list_query_budget(viewer_client, django_assert_max_num_queries, count):
    """Listing dependencies costs the same at 2 and 8 rows."""
    for _ in range(count):
        DependencyFactory(foundation=ManualFoundationFactory())
    with django_assert_max_num_queries(4):
        assert len(viewer_client.get(DEPENDENCIES).data["results"]) == count
