"""The foundation-blueprints, structure-blueprints and pxes collections: CRUD, errors, permissions, budgets."""

import pytest

from contractor.blueprint.models import PXE, BluePrint, FoundationBluePrint, StructureBluePrint
from contractor.blueprint.services import blueprint_create
from tests.factories import (
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    PXEFactory,
    ScriptFactory,
    StructureBluePrintFactory,
)

pytestmark = pytest.mark.django_db

FBP = "/api/v1/foundation-blueprints/"
SBP = "/api/v1/structure-blueprints/"
PXES = "/api/v1/pxes/"


def test_create_foundation_blueprint(admin_client_api):
    """POST creates a foundation blueprint with ordered parents, scripts, types and hardware requirements."""
    FoundationBluePrintFactory(name="base-b")
    FoundationBluePrintFactory(name="base-a")
    payload = {
        "name": "metal",
        "description": "bare metal",
        "parents": ["base-b", "base-a"],
        "config_values": {"ntp": "pool.ntp.org"},
        "foundation_types": ["manual"],
        "hardware_requirements": {"cpu_count_min": 2},
        "scripts": {"create": "pass\n", "destroy": "pass\n"},
    }
    response = admin_client_api.post(FBP, payload, format="json")
    assert response.status_code == 201, response.data
    data = admin_client_api.get(f"{FBP}metal/").data
    assert {key: data[key] for key in payload} == payload
    assert FoundationBluePrint.objects.get(name="metal").kind == "foundation"


def test_create_structure_blueprint(admin_client_api):
    """POST creates a structure blueprint with the foundation blueprints it may sit on."""
    FoundationBluePrintFactory(name="metal")
    StructureBluePrintFactory(name="linux")
    payload = {
        "name": "web",
        "parents": ["linux"],
        "foundation_blueprints": ["metal"],
        "scripts": {"create": "pass\n"},
    }
    response = admin_client_api.post(SBP, payload, format="json")
    assert response.status_code == 201, response.data
    assert response.data["parents"] == ["linux"]
    assert response.data["foundation_blueprints"] == ["metal"]
    assert set(response.data) == {
        "name",
        "description",
        "parents",
        "config_values",
        "scripts",
        "script_warnings",
        "foundation_blueprints",
        "created",
        "updated",
    }


def test_patch_keeps_what_is_not_sent_and_put_replaces(admin_client_api):
    """PATCH leaves parents and scripts alone; PUT without them clears them."""
    StructureBluePrintFactory(name="base")
    blueprint_create(kind="structure", name="web", parents=["base"], scripts={"create": "pass\n"})
    response = admin_client_api.patch(f"{SBP}web/", {"description": "d"}, format="json")
    assert response.status_code == 200
    assert response.data["parents"] == ["base"] and response.data["scripts"] == {"create": "pass\n"}
    response = admin_client_api.put(f"{SBP}web/", {"name": "web"}, format="json")
    assert response.status_code == 200
    assert response.data["parents"] == [] and response.data["scripts"] == {}


def test_delete_blueprints_and_pxe(admin_client_api):
    """DELETE removes unused blueprints and PXEs."""
    FoundationBluePrintFactory(name="f")
    StructureBluePrintFactory(name="s")
    PXEFactory(name="p")
    for url in (f"{FBP}f/", f"{SBP}s/", f"{PXES}p/"):
        assert admin_client_api.delete(url).status_code == 204
    assert not BluePrint.objects.exists() and not PXE.objects.exists()


def test_delete_blueprint_in_use_is_a_conflict(admin_client_api):
    """Deleting a blueprint a foundation uses is a 409 naming the foundation."""
    foundation = ManualFoundationFactory(locator="node-9")
    response = admin_client_api.delete(f"{FBP}{foundation.blueprint.name}/")
    assert response.status_code == 409
    assert "node-9" in response.data["non_field_errors"][0]


def test_blueprint_collections_are_kind_specific(admin_client_api):
    """A structure blueprint is not found under foundation-blueprints."""
    StructureBluePrintFactory(name="web")
    assert admin_client_api.get(f"{FBP}web/").status_code == 404
    assert admin_client_api.get(f"{SBP}web/").status_code == 200


@pytest.mark.parametrize(
    "url, payload, field, words",
    [
        (FBP, {"name": "x", "foundation_types": ["warp"]}, "foundation_types", "warp"),
        (FBP, {"name": "x", "hardware_requirements": {"cpus": 2}}, "hardware_requirements", "cpus"),
        (FBP, {"name": "x", "parents": ["web"]}, "parents", "web"),
        (FBP, {"name": "x", "parents": ["nope"]}, "parents", "nope"),
        (SBP, {"name": "x", "foundation_blueprints": ["nope"]}, "foundation_blueprints", "nope"),
        (SBP, {"name": "x", "scripts": {"create": "x = (\n"}}, "scripts", "create: line 1, column"),
        (SBP, {"name": "bad name"}, "name", "letters"),
        (SBP, {"name": "web"}, "name", "exists"),
        (SBP, {"name": "x", "config_values": {"a b": 1}}, "config_values", "a b"),
        (PXES, {"name": "x"}, "boot_script", "required"),
    ],
)
def test_validation_errors_name_the_field(admin_client_api, url, payload, field, words):
    """Invalid input is a 400 naming the field, with a message that says what is wrong."""
    StructureBluePrintFactory(name="web")
    response = admin_client_api.post(url, payload, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data
    assert words in str(response.data[field])


def test_cycle_through_the_api_is_a_400_on_parents(admin_client_api):
    """Closing a cycle via PATCH is refused on `parents` naming the blueprint that closes it."""
    blueprint_create(kind="structure", name="a")
    blueprint_create(kind="structure", name="b", parents=["a"])
    response = admin_client_api.patch(f"{SBP}a/", {"parents": ["b"]}, format="json")
    assert response.status_code == 400
    assert "b closes a cycle: a -> b -> a" in response.data["parents"][0]


def test_resolved_script_says_where_it_came_from(admin_client_api):
    """GET scripts/<name>/ returns the script the blueprint would run and the blueprint that holds it."""
    blueprint_create(kind="structure", name="base", scripts={"create": "pass\n", "backup": "x = 1\n"})
    blueprint_create(kind="structure", name="web", parents=["base"], scripts={"create": "x = 2\n"})
    own = admin_client_api.get(f"{SBP}web/scripts/create/")
    inherited = admin_client_api.get(f"{SBP}web/scripts/backup/")
    assert own.data == {"name": "create", "blueprint": "web", "script": "x = 2\n"}
    assert inherited.data == {"name": "backup", "blueprint": "base", "script": "x = 1\n"}
    assert admin_client_api.get(f"{SBP}web/scripts/missing/").status_code == 404


def test_filters(admin_client_api):
    """Blueprints filter by name, parent, foundation type and foundation blueprint; search reads descriptions."""
    FoundationBluePrintFactory(name="metal", description="iron")
    FoundationBluePrintFactory(name="typeless", foundation_types=[])
    blueprint_create(kind="structure", name="base")
    blueprint_create(kind="structure", name="web", parents=["base"], foundation_blueprints=["metal"])

    def names(url):
        return [row["name"] for row in admin_client_api.get(url).data["results"]]

    assert names(f"{SBP}?parent=base") == ["web"]
    assert names(f"{SBP}?foundation_blueprint=metal") == ["web"]
    assert names(f"{FBP}?foundation_type=manual") == ["metal"]
    assert names(f"{FBP}?search=iron") == ["metal"]
    assert names(f"{SBP}?name__icontains=AS") == ["base"]


def test_pxe_crud(admin_client_api):
    """PXEs are created, read by name, changed and listed."""
    response = admin_client_api.post(PXES, {"name": "debian-12", "boot_script": "#!ipxe\n"}, format="json")
    assert response.status_code == 201
    response = admin_client_api.patch(f"{PXES}debian-12/", {"template": "d-i preseed"}, format="json")
    assert response.data["template"] == "d-i preseed"
    assert [row["name"] for row in admin_client_api.get(PXES).data["results"]] == ["debian-12"]


@pytest.mark.parametrize("url", [FBP, SBP, PXES])
def test_anonymous_is_refused(anon_client, url):
    """Without credentials the collections are closed."""
    assert anon_client.get(url).status_code in (401, 403)


@pytest.mark.parametrize("url, factory", [(FBP, FoundationBluePrintFactory), (SBP, StructureBluePrintFactory)])
def test_viewer_and_builder_read_but_cannot_change_blueprints(viewer_client, builder_client, url, factory):
    """Viewers and builders read blueprints and resolved scripts, but cannot create or change them."""
    blueprint = factory(name="x")
    ScriptFactory(blueprint=blueprint)
    for client in (viewer_client, builder_client):
        assert client.get(url).status_code == 200
        assert client.get(f"{url}x/scripts/create/").status_code == 200
        assert client.post(url, {"name": "y"}, format="json").status_code == 403
        assert client.patch(f"{url}x/", {"description": "d"}, format="json").status_code == 403
        assert client.delete(f"{url}x/").status_code == 403


def test_builder_cannot_change_pxes(builder_client):
    """PXEs are infrastructure: builders only read them."""
    PXEFactory(name="p")
    assert builder_client.get(f"{PXES}p/").status_code == 200
    assert builder_client.post(PXES, {"name": "q", "boot_script": "#!ipxe"}, format="json").status_code == 403


def test_infrastructure_admin_changes_blueprints_and_pxes(infra_client):
    """Infrastructure admins create and change both kinds of blueprint and PXEs."""
    assert infra_client.post(FBP, {"name": "f", "foundation_types": ["manual"]}, format="json").status_code == 201
    assert infra_client.post(SBP, {"name": "s", "foundation_blueprints": ["f"]}, format="json").status_code == 201
    assert infra_client.post(PXES, {"name": "p", "boot_script": "#!ipxe"}, format="json").status_code == 201
    assert infra_client.patch(f"{SBP}s/", {"scripts": {"create": "pass\n"}}, format="json").status_code == 200
    assert infra_client.delete(f"{SBP}s/").status_code == 204


def _foundation_blueprints(rows):
    base = FoundationBluePrintFactory(name="base")
    for index in range(rows):
        blueprint_create(kind="foundation", name=f"f{index}", parents=["base"], foundation_types=["manual"])
        ScriptFactory(blueprint=BluePrint.objects.get(name=f"f{index}"))
    return base


def _structure_blueprints(rows):
    FoundationBluePrintFactory(name="metal")
    StructureBluePrintFactory(name="base")
    for index in range(rows):
        blueprint_create(
            kind="structure",
            name=f"s{index}",
            parents=["base"],
            foundation_blueprints=["metal"],
            scripts={"create": "pass\n"},
        )


def _pxes(rows):
    for index in range(rows):
        PXEFactory(name=f"p{index}")


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize(
    "url, make, budget", [(FBP, _foundation_blueprints, 6), (SBP, _structure_blueprints, 7), (PXES, _pxes, 4)]
)
def test_list_query_budget(admin_client_api, django_assert_max_num_queries, rows, url, make, budget):
    """Each list endpoint costs the same few queries however many rows there are."""
    make(rows)
    with django_assert_max_num_queries(budget):
        response = admin_client_api.get(url + "?limit=1000")
    assert response.status_code == 200
    assert response.data["count"] >= rows


def test_script_mistakes_are_warnings_in_the_save_response(admin_client_api):
    """Unknown modules, functions and arguments are saved, with warnings (line, column) in the response."""
    payload = {
        "name": "metal",
        "foundation_types": ["ipmi"],
        "scripts": {
            "create": "foundation.power_onn()\nx = iputil.port_check( port=22 )\n"
            "foundation.set_boot( devce='pxe' )\niputils.port_check( port=22 )\n",
            "destroy": "foundation.power_off()\n",
        },
    }
    response = admin_client_api.post(FBP, payload, format="json")
    assert response.status_code == 201, response.data
    assert response.data["script_warnings"] == {
        "create": [
            {"line": 1, "column": 1, "message": "Module 'foundation' has no function 'power_onn' (did you mean "
             "'power_on'?)"},
            {"line": 2, "column": 5, "message": "Unknown module 'iputil' (did you mean 'iputils'?)"},
            {"line": 3, "column": 22, "message": "foundation.set_boot() has no parameter 'devce' (it takes device, "
             "persistent)"},
        ]
    }  # fmt: skip
    assert FoundationBluePrint.objects.get(name="metal").scripts.count() == 2
    fixed = admin_client_api.patch(f"{FBP}metal/", {"scripts": {"create": "foundation.power_on()\n"}}, format="json")
    assert fixed.status_code == 200 and fixed.data["script_warnings"] == {}
    broken = admin_client_api.patch(f"{FBP}metal/", {"scripts": {"create": "foundation.power_on(\n"}}, format="json")
    assert broken.status_code == 400 and "create: line 1, column" in str(broken.data["scripts"])


def test_structure_script_is_checked_against_the_foundation_types_it_sits_on(admin_client_api):
    """`foundation.*` in a structure blueprint's script is checked against the types of its foundation blueprints."""
    blueprint_create(kind="foundation", name="by-hand", foundation_types=["manual"])
    script = {"create": "foundation.power_on()\nfoundation.link_test()\n"}
    on_manual = admin_client_api.post(
        SBP, {"name": "desk", "foundation_blueprints": ["by-hand"], "scripts": script}, format="json"
    )
    assert on_manual.status_code == 201, on_manual.data
    assert on_manual.data["script_warnings"] == {
        "create": [{"line": 2, "column": 1, "message": "Module 'foundation' has no function 'link_test'"}]
    }
    # a child inherits what its parent may sit on; a foundation blueprint inheriting an allowed one counts too
    blueprint_create(kind="foundation", name="bmc-child", parents=["by-hand"], foundation_types=["ipmi"])
    child = admin_client_api.post(SBP, {"name": "desk2", "parents": ["desk"], "scripts": script}, format="json")
    assert child.status_code == 201 and child.data["script_warnings"] == {}
    on_nothing = admin_client_api.post(SBP, {"name": "free", "scripts": script}, format="json")
    assert on_nothing.status_code == 201 and on_nothing.data["script_warnings"] == {}


def test_structure_list_checks_foundation_calls_in_the_same_queries_however_many(admin_client_api):
    """Listing structure blueprints whose scripts call foundation.* reads what they sit on once, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    blueprint_create(kind="foundation", name="by-hand", foundation_types=["manual"])
    expected = [{"line": 1, "column": 1, "message": "Module 'foundation' has no function 'link_test'"}]
    counts = []
    for rows in (2, 12):
        for index in range(StructureBluePrint.objects.count(), rows):
            blueprint_create(
                kind="structure",
                name=f"s{index}",
                foundation_blueprints=["by-hand"],
                scripts={"create": "foundation.link_test()\n", "destroy": "foundation.power_off()\n"},
            )
        with CaptureQueriesContext(connection) as queries:
            response = admin_client_api.get(SBP + "?limit=1000")
        assert [item["script_warnings"] for item in response.data["results"]] == [{"create": expected}] * rows
        counts.append(len(queries))
    assert counts[0] == counts[1]
