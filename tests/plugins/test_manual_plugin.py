"""The manual plugin: a foundation type found by the plugin mechanism, with its API fields and admin."""

import pytest
from django.apps import apps
from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from contractor.building.api.serializers import foundation_serializer_class, foundation_type_fields
from contractor.plugins import PluginConfig, foundation_types
from plugins.manual.models import ManualFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory


def test_manual_model_is_the_manual_type():
    """The plugin mechanism finds ManualFoundation as the foundation type `manual`."""
    assert foundation_types()["manual"] is ManualFoundation


def test_manual_app_runs_as_a_plugin_config():
    """The manual app is loaded with its PluginConfig, so its Contractor version bounds are checked."""
    assert isinstance(apps.get_app_config("manual"), PluginConfig)


def test_api_fields_default_to_the_fields_the_type_adds():
    """Without `api_fields`, a type's API fields are the editable fields its model adds (not the parent link)."""
    assert foundation_type_fields(ManualFoundation) == ("location_notes",)


@pytest.fixture
def fresh_serializers():
    foundation_serializer_class.cache_clear()
    yield
    foundation_serializer_class.cache_clear()


def test_api_fields_narrow_what_the_api_shows(monkeypatch, fresh_serializers, builder_client):
    """A type that sets `api_fields = ()` hides its own fields from the API and the types list."""
    monkeypatch.setattr(ManualFoundation, "api_fields", (), raising=False)
    SiteFactory(name="s1")
    FoundationBluePrintFactory(name="bp1")
    body = {"type": "manual", "locator": "n1", "site": "s1", "blueprint": "bp1", "location_notes": "ignored"}
    response = builder_client.post("/api/v1/foundations/", body, format="json")
    assert response.status_code == 201
    assert "location_notes" not in response.data
    assert ManualFoundation.objects.get().location_notes == ""
    manual = next(t for t in builder_client.get("/api/v1/foundations/types/").data if t["type"] == "manual")
    assert manual["fields"] == []


def test_manual_admin_is_registered_from_the_plugin():
    """plugins/manual/admin.py registers a FoundationTypeAdmin showing location_notes."""
    model_admin = admin.site._registry[ManualFoundation]
    assert isinstance(model_admin, FoundationTypeAdmin)
    assert model_admin.type_fields == ("location_notes",)
