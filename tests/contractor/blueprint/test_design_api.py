"""/api/v1/design/: the design exported and loaded over the API, its errors, its permissions and its secrets."""

import tomllib

import pytest
import yaml

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.site.models import Site
from tests.factories import FoundationBluePrintFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.django_db

DESIGN = "/api/v1/design/"

DOCUMENT = {
    "sites": [
        {"name": "dc1", "config_values": {"ntp": "pool.ntp.org"}},
        {"name": "rack1", "parent": "dc1", "description": "first rack"},
    ],
    "pxes": [{"name": "installer", "boot_script": "#!ipxe\nboot\n"}],
    "foundation_blueprints": [
        {"name": "metal", "foundation_types": ["manual"], "hardware_requirements": {"cpu_count_min": 2},
         "scripts": {"create": "pass\n"}},
    ],
    "structure_blueprints": [
        {"name": "web", "parents": ["linux"], "foundation_blueprints": ["metal"], "scripts": {"create": "pass\n"}},
        {"name": "linux", "config_values": {"root_password": "hunter2"}},
    ],
}  # fmt: skip


def test_a_loaded_design_is_exported_back_the_same(admin_client_api):
    """POST creates every object (parents after children in the document included); GET gives them back."""
    response = admin_client_api.post(DESIGN, DOCUMENT, format="json")
    assert response.status_code == 200, response.data
    assert response.data == {
        "dry_run": False,
        "summary": {
            "sites": {"created": 2, "updated": 0},
            "pxes": {"created": 1, "updated": 0},
            "foundation_blueprints": {"created": 1, "updated": 0},
            "structure_blueprints": {"created": 2, "updated": 0},
        },
    }
    assert Site.objects.get(name="rack1").parent.name == "dc1"
    assert StructureBluePrint.objects.get(name="web").foundation_blueprint_list.get().name == "metal"
    exported = admin_client_api.get(DESIGN).json()
    by_name = {section: {item["name"]: item for item in items} for section, items in exported.items()}
    assert by_name["sites"]["rack1"] == {"name": "rack1", "parent": "dc1", "description": "first rack"}
    assert by_name["foundation_blueprints"]["metal"]["hardware_requirements"] == {"cpu_count_min": 2}
    assert by_name["structure_blueprints"]["web"]["parents"] == ["linux"]
    assert by_name["structure_blueprints"]["linux"]["config_values"] == {"root_password": "hunter2"}
    again = admin_client_api.post(DESIGN, exported, format="json")
    assert again.data["summary"]["structure_blueprints"] == {"created": 0, "updated": 2}


def test_the_export_is_also_toml_and_yaml_text(admin_client_api):
    admin_client_api.post(DESIGN, DOCUMENT, format="json")
    toml_answer = admin_client_api.get(DESIGN, {"output": "toml"})
    assert toml_answer.status_code == 200
    assert toml_answer["Content-Type"].startswith("application/toml")
    assert {item["name"] for item in tomllib.loads(toml_answer.content.decode())["sites"]} == {"dc1", "rack1"}
    yaml_answer = admin_client_api.get(DESIGN, {"output": "yaml"})
    assert yaml.safe_load(yaml_answer.content)["pxes"][0]["boot_script"] == "#!ipxe\nboot\n"
    bad = admin_client_api.get(DESIGN, {"output": "xml"})
    assert bad.status_code == 400 and "output" in bad.data


def test_a_dry_run_reports_and_saves_nothing(admin_client_api):
    response = admin_client_api.post(f"{DESIGN}?dry_run=true", DOCUMENT, format="json")
    assert response.status_code == 200, response.data
    assert response.data["dry_run"] is True
    assert response.data["summary"]["sites"] == {"created": 2, "updated": 0}
    assert not Site.objects.filter(name__in=["dc1", "rack1"]).exists()
    assert not PXE.objects.filter(name="installer").exists()
    assert admin_client_api.post(f"{DESIGN}?dry_run=maybe", DOCUMENT, format="json").data.keys() == {"dry_run"}


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({"sites": [{"name": "x", "parent": "nowhere"}]}, {"sites": {"x": {"parent": ["Unknown site nowhere."]}}}),
        ({"sites": [{"name": "x", "colour": "red"}]}, {"sites": {"x": {"colour": None}}}),
        ({"structure_blueprints": [{"name": "s", "scripts": {"create": {"script_file": "a.tscript"}}}]},
         {"structure_blueprints": {"s": {"scripts.create": ["Must be the script's text."]}}}),
        ({"gadgets": []}, {"gadgets": None}),
        ({"sites": "dc1"}, {"sites": ["Must be a list of objects, each with a name."]}),
        ({"sites": [{"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}]}, {"sites": {"a": {"parent": None}}}),
    ],
)  # fmt: skip
def test_a_bad_design_is_a_400_naming_section_object_and_field_and_saves_nothing(admin_client_api, document, detail):
    document = {**document, "pxes": [{"name": "kept-out", "boot_script": "#!ipxe\n"}]}
    response = admin_client_api.post(DESIGN, document, format="json")
    assert response.status_code == 400, response.data

    def shape(expected, got):
        if expected is None:
            return
        if isinstance(expected, dict):
            assert set(got) == set(expected), got
            for key in expected:
                shape(expected[key], got[key])
        else:
            assert got == expected

    shape(detail, response.json())
    assert not PXE.objects.filter(name="kept-out").exists()


def test_a_blueprint_error_names_its_field(admin_client_api):
    response = admin_client_api.post(
        DESIGN, {"foundation_blueprints": [{"name": "m", "foundation_types": ["warp-drive"]}]}, format="json"
    )
    assert response.status_code == 400
    assert "warp-drive" in response.json()["foundation_blueprints"]["m"]["foundation_types"][0]


def test_a_viewer_exports_with_secrets_redacted_and_may_not_load(viewer_client, admin_client_api):
    admin_client_api.post(DESIGN, DOCUMENT, format="json")
    exported = viewer_client.get(DESIGN).json()
    linux = next(item for item in exported["structure_blueprints"] if item["name"] == "linux")
    assert linux["config_values"] == {"root_password": "********"}
    assert "hunter2" not in viewer_client.get(DESIGN, {"output": "yaml"}).content.decode()
    assert viewer_client.post(DESIGN, DOCUMENT, format="json").status_code == 403
    assert not Site.objects.filter(name="viewer-was-here").exists()


def test_a_builder_may_not_load_a_design(builder_client):
    response = builder_client.post(DESIGN, {"sites": [{"name": "builder-site"}]}, format="json")
    assert response.status_code == 403
    assert not Site.objects.filter(name="builder-site").exists()


def test_anonymous_gets_401(anon_client):
    assert anon_client.get(DESIGN).status_code == 401


def test_a_redacted_export_loaded_back_keeps_the_stored_secrets(admin_client_api):
    SiteFactory(name="dc9", config_values={"bmc_password": "s3cret", "ntp": "a"})
    document = {"sites": [{"name": "dc9", "config_values": {"bmc_password": "********", "ntp": "b"}}]}
    assert admin_client_api.post(DESIGN, document, format="json").status_code == 200
    assert Site.objects.get(name="dc9").config_values == {"bmc_password": "s3cret", "ntp": "b"}
    new = {"sites": [{"name": "dc10", "config_values": {"bmc_password": "********"}}]}
    response = admin_client_api.post(DESIGN, new, format="json")
    assert response.status_code == 400
    assert "bmc_password" in response.json()["sites"]["dc10"]["config_values"][0]


def test_export_keeps_scripts(admin_client_api):
    blueprint = FoundationBluePrintFactory(name="scripted", foundation_types=["manual"])
    ScriptFactory(blueprint=blueprint, name="create", script="pass\n")
    exported = admin_client_api.get(DESIGN).json()
    item = next(item for item in exported["foundation_blueprints"] if item["name"] == "scripted")
    assert item["scripts"] == {"create": "pass\n"}
    assert FoundationBluePrint.objects.filter(name="scripted").exists()
