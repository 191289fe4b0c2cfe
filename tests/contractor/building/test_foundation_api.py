"""The foundations collection: polymorphic create, list of every type, located, types, config, permissions."""

import pytest

from contractor.building.choices import FoundationState
from contractor.building.models import Foundation
from plugins.manual.models import ManualFoundation
from tests.factories import (
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    RealNetworkInterfaceFactory,
    SiteFactory,
    StructureFactory,
)

URL = "/api/v1/foundations/"


def payload(**extra):
    return {"type": "manual", "locator": "node-a1", "site": "prod-east", "blueprint": "manual-server", **extra}


def test_create_manual_foundation(builder_client, site, fbp):
    """POST with type `manual` creates a ManualFoundation with its own location_notes field."""
    response = builder_client.post(URL, payload(location_notes="rack 4", class_list=["web"]), format="json")
    assert response.status_code == 201, response.data
    assert response.data["type"] == "manual"
    assert response.data["state"] == "planned"
    assert response.data["location_notes"] == "rack 4"
    assert ManualFoundation.objects.get(locator="node-a1").class_list == ["web"]


def test_create_unknown_type_lists_installed(builder_client, site, fbp):
    """An unknown type is a 400 on `type` that names the installed types."""
    response = builder_client.post(URL, payload(type="warp-drive"), format="json")
    assert response.status_code == 400
    assert "manual" in str(response.data["type"])


def test_create_without_type_is_400_on_type(builder_client, site, fbp):
    """Leaving out the type is a 400 on `type`."""
    body = payload()
    del body["type"]
    response = builder_client.post(URL, body, format="json")
    assert response.status_code == 400 and "type" in response.data


def test_blueprint_not_for_the_type_names_blueprint(builder_client, site):
    """A foundation blueprint for other types is refused on `blueprint`."""
    blueprint = FoundationBluePrintFactory(name="vm-only")
    blueprint.foundation_types = ["virtualbox"]
    blueprint.save()
    response = builder_client.post(URL, payload(blueprint="vm-only"), format="json")
    assert response.status_code == 400
    assert "virtualbox" in str(response.data["blueprint"])


def test_unknown_site_and_duplicate_locator_name_fields(builder_client, site, fbp):
    """A missing site and a taken locator are each refused on their own field."""
    assert "site" in builder_client.post(URL, payload(site="nowhere"), format="json").data
    ManualFoundationFactory(locator="node-a1", site=site, blueprint=fbp)
    response = builder_client.post(URL, payload(), format="json")
    assert response.status_code == 400 and "locator" in response.data


def test_detail_update_and_delete_by_locator(builder_client, site, fbp):
    """A foundation is addressed by its locator; PATCH changes its type's own fields; DELETE removes it."""
    ManualFoundationFactory(locator="node-a1", site=site, blueprint=fbp)
    detail = builder_client.get(f"{URL}node-a1/")
    assert detail.status_code == 200 and detail.data["location_notes"] == ""
    response = builder_client.patch(f"{URL}node-a1/", {"location_notes": "row 9"}, format="json")
    assert response.status_code == 200, response.data
    assert ManualFoundation.objects.get(locator="node-a1").location_notes == "row 9"
    assert builder_client.delete(f"{URL}node-a1/").status_code == 204
    assert not Foundation.objects.exists()


def test_type_cannot_change(builder_client, site, fbp):
    """A PATCH naming another type is refused on `type`."""
    ManualFoundationFactory(locator="node-a1", site=site, blueprint=fbp)
    response = builder_client.patch(f"{URL}node-a1/", {"type": "other"}, format="json")
    assert response.status_code == 400 and "type" in response.data


def test_delete_foundation_under_structure_conflicts(builder_client):
    """A foundation carrying a structure cannot be deleted (409)."""
    structure = StructureFactory()
    assert builder_client.delete(f"{URL}{structure.foundation.locator}/").status_code == 409


def test_list_shows_every_type_with_state_structure_and_interfaces(viewer_client, site, fbp):
    """The list holds foundations of every type with type, state, structure id and an interface summary."""
    manual = ManualFoundationFactory(locator="a-manual", site=site, blueprint=fbp, location_notes="rack 1")
    RealNetworkInterfaceFactory(foundation=manual, name="eth0", mac="02:00:00:00:00:01")
    structure = StructureFactory(foundation=manual, site=site)
    Foundation.objects.create(locator="b-retired", site=site, blueprint=fbp, type="retired")
    rows = viewer_client.get(URL).data["results"]
    assert [(row["locator"], row["type"], row["state"]) for row in rows] == [
        ("a-manual", "manual", "planned"),
        ("b-retired", "retired", "planned"),
    ]
    assert rows[0]["location_notes"] == "rack 1"
    assert rows[0]["structure"] == structure.pk and rows[1]["structure"] is None
    assert rows[0]["interfaces"] == [{"name": "eth0", "mac": "02:00:00:00:00:01", "is_provisioning": True}]
    assert rows[0]["site"] == "prod-east" and rows[0]["blueprint"] == "manual-server"


def test_list_filters(viewer_client, site, fbp):
    """The list filters by type, state, site and blueprint."""
    ManualFoundationFactory(locator="n1", site=site, blueprint=fbp, state=FoundationState.LOCATED)
    ManualFoundationFactory(locator="n2", site=SiteFactory(name="west"), blueprint=fbp)

    def locators(query):
        return [row["locator"] for row in viewer_client.get(URL + query).data["results"]]

    assert locators("?state=located") == ["n1"]
    assert locators("?site=west") == ["n2"]
    assert locators("?type=manual&blueprint=manual-server") == ["n1", "n2"]
    assert locators("?type=other") == []


@pytest.mark.parametrize("count", [3, 12])
def test_list_query_budget(viewer_client, site, fbp, django_assert_max_num_queries, count):
    """Listing foundations of two types costs the same number of queries at 3 and at 12 rows of each."""
    for index in range(count):
        foundation = ManualFoundationFactory(site=site, blueprint=fbp)
        RealNetworkInterfaceFactory(foundation=foundation)
        StructureFactory(foundation=foundation, site=site)
        Foundation.objects.create(locator=f"retired-{index}", site=site, blueprint=fbp, type="retired")
    # 8: one of them reads the declared secret_keys, for the id_maps a viewer sees redacted
    with django_assert_max_num_queries(8):
        response = viewer_client.get(URL)
    assert len(response.data["results"]) == 2 * count


def test_viewer_reads_but_cannot_write(viewer_client, anon_client, site, fbp):
    """A viewer may list but not create; an anonymous client may do neither."""
    assert viewer_client.get(URL).status_code == 200
    assert viewer_client.post(URL, payload(), format="json").status_code == 403
    assert anon_client.get(URL).status_code in (401, 403)


def test_located_action(builder_client, site):
    """POST located/ moves a planned foundation to located and stores a matching id_map."""
    blueprint = FoundationBluePrintFactory(name="big", hardware_requirements={"cpu_count_min": 4})
    ManualFoundationFactory(locator="n1", site=site, blueprint=blueprint)
    response = builder_client.post(f"{URL}n1/located/", {"id_map": {"cpu_count": 8}}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "located" and response.data["located_at"]
    assert response.data["id_map"] == {"cpu_count": 8}


def test_located_action_hardware_mismatch(builder_client, site):
    """A hardware mismatch is a 400 on `id_map` saying what did not match."""
    blueprint = FoundationBluePrintFactory(name="big", hardware_requirements={"cpu_count_min": 4})
    ManualFoundationFactory(locator="n1", site=site, blueprint=blueprint)
    response = builder_client.post(f"{URL}n1/located/", {"id_map": {"cpu_count": 2}}, format="json")
    assert response.status_code == 400
    assert "cpu_count 2 is below the minimum 4" in str(response.data["id_map"])


def test_located_twice_is_400_on_state(builder_client, site, fbp):
    """Locating an already located foundation is refused on `state`."""
    ManualFoundationFactory(locator="n1", site=site, blueprint=fbp, state=FoundationState.LOCATED)
    response = builder_client.post(f"{URL}n1/located/", {}, format="json")
    assert response.status_code == 400 and "state" in response.data


def test_viewer_cannot_locate(viewer_client, site, fbp):
    """Locating is a write: a viewer gets 403."""
    ManualFoundationFactory(locator="n1", site=site, blueprint=fbp)
    assert viewer_client.post(f"{URL}n1/located/", {}, format="json").status_code == 403


def test_types_lists_installed_types_with_their_fields(viewer_client):
    """GET types/ names each installed type and the fields it adds."""
    response = viewer_client.get(f"{URL}types/")
    assert response.status_code == 200
    manual = next(item for item in response.data if item["type"] == "manual")
    assert manual["model"] == "manual.manualfoundation"
    assert [field["name"] for field in manual["fields"]] == ["location_notes"]


def test_config_of_a_foundation(viewer_client, infra_client, fbp):
    """GET config/ merges the site's values into the foundation's config; secrets only for those allowed."""
    site = SiteFactory(name="prod-east", config_values={"dns_server": "10.0.0.53", "bmc_password": "hunter2"})
    ManualFoundationFactory(locator="n1", site=site, blueprint=fbp)
    response = viewer_client.get(f"{URL}n1/config/")
    assert response.status_code == 200
    assert response.data["dns_server"] == "10.0.0.53"
    assert response.data["bmc_password"] != "hunter2"
    assert infra_client.get(f"{URL}n1/config/").data["bmc_password"] == "hunter2"
