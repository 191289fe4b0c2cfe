"""JSON bodies are bounded and clean: deep nesting, size, NUL and lone surrogates are 400s; so are huge poll slots."""

import pytest
from rest_framework.test import APIClient

from contractor.api.parsers import MAX_DEPTH
from contractor.site.models import Site
from contractor.subcontracting.api.serializers import MAX_POLL_SLOTS
from contractor.subcontracting.services import subcontractor_register
from tests.contractor.api.test_api_bad_input import creatable_collections
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def nested(levels: int) -> str:
    """A JSON object whose `name` holds lists `levels` deep."""
    return '{"name": ' + "[" * levels + "]" * levels + "}"


def test_deep_nesting_in_a_small_body_is_a_400_on_every_collection(admin_client_api):
    """1,000 levels of nesting in 2 KB was a 500 (the decoder's recursion) on any endpoint; now it is a 400."""
    body = nested(1000)
    assert len(body) < 2100
    for path in creatable_collections(admin_client_api):
        response = admin_client_api.post(path, body, content_type="application/json")
        if response.status_code == 403:  # subcontractor endpoints: the poll is checked below
            continue
        assert response.status_code == 400, (path, response.content)
        assert f"Nested more than {MAX_DEPTH} levels deep" in str(response.json()), path


def config(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def test_nesting_up_to_the_limit_is_accepted_and_one_more_is_refused_naming_the_field(admin_client_api):
    """config_values nested MAX_DEPTH levels deep are stored; one level more is a 400 naming config_values."""
    ok = admin_client_api.post("/api/v1/sites/", {"name": "deep", "config_values": config(MAX_DEPTH)}, format="json")
    assert ok.status_code == 201, ok.content
    refused = admin_client_api.post(
        "/api/v1/sites/", {"name": "deeper", "config_values": config(MAX_DEPTH + 1)}, format="json"
    )
    assert refused.status_code == 400
    assert "Nested more than" in refused.json()["config_values"][0]


def test_a_body_over_the_size_limit_is_a_400(admin_client_api, settings):
    """A JSON body longer than DATA_UPLOAD_MAX_MEMORY_SIZE is refused before it is decoded."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"name": "big", "description": "' + "x" * 20_000 + '"}'
    response = admin_client_api.post("/api/v1/sites/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is larger than 10000 bytes, the most accepted."
    assert not Site.objects.filter(name="big").exists()


@pytest.mark.parametrize(
    "body, field, problem",
    [
        ('{"name": "nul", "config_values": {"motd": "a\\u0000b"}}', "config_values", "NUL"),
        ('{"name": "nul", "config_values": {"a\\u0000": 1}}', "config_values", "NUL"),
        ('{"name": "nul", "description": "a\\u0000b"}', "description", "NUL"),
        ('{"name": "x\\ud800y"}', "name", "lone surrogate"),
        ('{"name": "s", "config_values": {"list": ["ok", "\\udfff"]}}', "config_values", "lone surrogate"),
    ],
)
def test_nul_and_lone_surrogates_are_400s_naming_the_field(admin_client_api, body, field, problem):
    """Text PostgreSQL cannot store (NUL; surrogates that are not UTF-8) is a 400 naming the field (was a 500)."""
    response = admin_client_api.post("/api/v1/sites/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert problem in response.json()[field][0]
    assert not Site.objects.exists()


def test_a_proper_surrogate_pair_is_text(admin_client_api):
    """An escaped pair (an emoji) is one character and is stored."""
    response = admin_client_api.post(
        "/api/v1/sites/", '{"name": "emoji", "description": "\\ud83d\\ude80"}', content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Site.objects.get(name="emoji").description == "\U0001f680"


def test_poll_slots_are_bounded():
    """A poll may ask for at most MAX_POLL_SLOTS free slots per module; more is a 400 naming modules."""
    site = SiteFactory(name="lab")
    _, token = subcontractor_register(name="sc1", sites=[site.name], modules=["ipmi"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = "/api/v1/subcontractor/poll/"
    assert client.post(url, {"site": "lab", "modules": {"ipmi": MAX_POLL_SLOTS}}, format="json").status_code == 200
    for slots in (MAX_POLL_SLOTS + 1, 10**30):
        response = client.post(url, {"site": "lab", "modules": {"ipmi": slots}}, format="json")
        assert response.status_code == 400, response.content
        assert "less than or equal to 1000" in str(response.json()["modules"])
    response = client.post(url, nested(1000), content_type="application/json")
    assert response.status_code == 400
