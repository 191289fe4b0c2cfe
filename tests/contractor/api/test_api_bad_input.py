"""Bad input is a 400 naming the problem, never a 500: body shapes, unknown paths, query strings, read-only fields."""

import pytest
from rest_framework.test import APIClient

from contractor.building.choices import FoundationState
from contractor.subcontracting.services import subcontractor_register
from tests.factories import ManualFoundationFactory, SiteFactory

pytestmark = pytest.mark.django_db

WRONG_SHAPES = {"[1, 2]": "a list", '"text"': "a string", "5": "a number", "null": "null", "true": "a boolean"}


def creatable_collections(client) -> list[str]:
    """Every path of the OpenAPI schema without path parameters that takes a POST body."""
    paths = client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    return sorted(
        path for path, operations in paths.items() if "{" not in path and "requestBody" in operations.get("post", {})
    )


def test_every_collection_answers_a_wrong_shaped_body_with_a_400(admin_client_api):
    """A list, string, number, boolean or null as the body of any POST is a 400 saying what the body must be."""
    collections = creatable_collections(admin_client_api)
    assert "/api/v1/foundations/" in collections and "/api/v1/sites/" in collections
    for path in collections:
        for body, kind in WRONG_SHAPES.items():
            response = admin_client_api.post(path, body, content_type="application/json")
            if response.status_code == 403:  # only a registered subcontractor may post there: see the next test
                assert path.startswith("/api/v1/subcontractor/"), path
                continue
            assert response.status_code == 400, (path, body, response.content)
            assert response.json()["detail"] == f"The request body must be a JSON object, not {kind}.", path


@pytest.mark.parametrize("body", list(WRONG_SHAPES))
def test_a_subcontractor_poll_with_a_wrong_shaped_body_is_a_400(body):
    """The poll of a registered subcontractor, sent a body that is not an object, is a 400 (it was a 500)."""
    site = SiteFactory(name="lab")
    _, token = subcontractor_register(name="sc1", sites=[site.name], modules=["ipmi"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/subcontractor/poll/", body, content_type="application/json")
    assert response.status_code == 400 and "must be a JSON object" in response.json()["detail"]
    assert client.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 1}}, format="json").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/no-such-things/", "/api/v1/sites/x/no-such-action/", "/boot/nothing/"])
def test_unknown_api_paths_answer_json_404s(admin_client_api, path):
    """A path under /api/ or /boot/ that no URL matches is a JSON 404 naming the path."""
    response = admin_client_api.get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert path in response.json()["detail"]


def test_unknown_admin_paths_give_no_debug_page(client):
    """Outside the API a miss is Django's plain 404 page: no URL list, no settings."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"URLconf" not in response.content


class TestQueryParameters:
    @pytest.fixture
    def foundations(self):
        site = SiteFactory(name="east")
        return [ManualFoundationFactory(site=site, locator=f"n{i}") for i in range(3)]

    def get(self, client, **params):
        return client.get("/api/v1/foundations/", params)

    @pytest.mark.parametrize("ordering", ["nosuch", "-nosuch", "locator,bogus", "location_notes"])
    def test_unknown_ordering_is_a_400_naming_ordering(self, admin_client_api, foundations, ordering):
        """An ordering term that is not one of the endpoint's ordering fields is a 400 listing the valid ones."""
        response = self.get(admin_client_api, ordering=ordering)
        assert response.status_code == 400 and list(response.data) == ["ordering"]
        assert "locator" in str(response.data["ordering"][0])

    def test_known_ordering_still_orders(self, admin_client_api, foundations):
        response = self.get(admin_client_api, ordering="-locator")
        assert [row["locator"] for row in response.data["results"]] == ["n2", "n1", "n0"]

    @pytest.mark.parametrize(
        ("param", "value"), [("limit", "abc"), ("limit", "0"), ("limit", "-3"), ("offset", "x"), ("offset", "-1")]
    )
    def test_a_limit_or_offset_that_is_not_a_count_is_a_400(self, admin_client_api, foundations, param, value):
        response = self.get(admin_client_api, **{param: value})
        assert response.status_code == 400 and list(response.data) == [param]
        assert value in str(response.data[param][0])

    def test_good_limits_page_and_too_large_ones_are_capped(self, admin_client_api, foundations):
        response = self.get(admin_client_api, limit="1", offset="2")
        assert response.status_code == 200 and [row["locator"] for row in response.data["results"]] == ["n2"]
        assert self.get(admin_client_api, limit="5000").status_code == 200

    @pytest.mark.parametrize(
        ("path", "param"),
        [
            ("/api/v1/foundations/", "site"),
            ("/api/v1/foundations/", "blueprint"),
            ("/api/v1/structures/", "foundation"),
            ("/api/v1/sites/", "parent"),
            ("/api/v1/users/", "role"),
            ("/api/v1/jobs/", "foundation"),
            ("/api/v1/webhook-subscriptions/", "site"),
        ],
    )
    def test_a_filter_naming_an_object_that_does_not_exist_is_a_400(self, admin_client_api, path, param):
        """`?site=nosuch` names no site: a 400 naming the parameter, not an empty list that looks like an answer."""
        response = admin_client_api.get(path, {param: "nosuch"})
        assert response.status_code == 400, (path, response.content)
        assert list(response.data) == [param] and "'nosuch'" in response.data[param][0]

    def test_a_filter_naming_an_existing_object_filters(self, admin_client_api, foundations):
        ManualFoundationFactory(site=SiteFactory(name="west"), locator="w1")
        response = self.get(admin_client_api, site="west")
        assert response.status_code == 200 and [row["locator"] for row in response.data["results"]] == ["w1"]
        assert self.get(admin_client_api, site="east").data["count"] == 3

    def test_a_choice_filter_with_an_unknown_value_is_a_400(self, admin_client_api, foundations):
        response = self.get(admin_client_api, state="flying")
        assert response.status_code == 400 and list(response.data) == ["state"]


def test_writing_a_read_only_field_is_a_400_naming_it(builder_client):
    """PATCH a foundation's state is refused on `state` (it was a silent 200), and nothing changes."""
    foundation = ManualFoundationFactory(locator="n1")
    response = builder_client.patch("/api/v1/foundations/n1/", {"state": "built", "location_notes": "x"}, format="json")
    assert response.status_code == 400 and list(response.data) == ["state"]
    assert "read-only" in response.data["state"][0]
    foundation.refresh_from_db()
    assert foundation.state == FoundationState.PLANNED and foundation.location_notes == ""
    assert builder_client.patch("/api/v1/foundations/n1/", {"location_notes": "x"}, format="json").status_code == 200
