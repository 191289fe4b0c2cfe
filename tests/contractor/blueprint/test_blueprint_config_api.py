"""GET .../<name>/config/ on both kinds of blueprint: lineage-merged config and secret redaction."""

import pytest

from contractor.blueprint.services import blueprint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def blueprints():
    blueprint_create(kind="structure", name="base", config_values={"os": "debian", "api_token": "t0k3n"})
    blueprint_create(kind="structure", name="web", parents=["base"], config_values={"os": "ubuntu", "port": 80})
    blueprint_create(kind="foundation", name="metal", foundation_types=["manual"], config_values={"bmc": "ipmi"})


def test_structure_blueprint_config_follows_the_lineage(infra_client, blueprints):
    """A blueprint's own values win over its parents'; inherited ones are kept."""
    config = infra_client.get("/api/v1/structure-blueprints/web/config/").data
    assert config["os"] == "ubuntu"
    assert config["port"] == 80
    assert config["api_token"] == "t0k3n"


def test_foundation_blueprint_config(viewer_client, blueprints):
    """Foundation blueprints have a config endpoint too, readable by viewers."""
    response = viewer_client.get("/api/v1/foundation-blueprints/metal/config/")
    assert response.status_code == 200
    assert response.data["bmc"] == "ipmi"


def test_blueprint_secrets_are_redacted_for_viewers(viewer_client, blueprints):
    """Viewers see inherited secret values redacted."""
    config = viewer_client.get("/api/v1/structure-blueprints/web/config/").data
    assert config["api_token"] != "t0k3n"
    assert config["os"] == "ubuntu"
