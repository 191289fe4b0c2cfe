"""The OpenAPI schema and its Swagger UI page."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_json(viewer_client):
    """/api/v1/schema/?format=json is an OpenAPI 3 document covering the users and jobs paths."""
    response = viewer_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Contractor API"
    for path in ("/api/v1/users/", "/api/v1/users/me/", "/api/v1/users/me/token/", "/api/v1/jobs/"):
        assert path in document["paths"], path


def test_schema_documents_token_auth(viewer_client):
    """The schema declares token authentication as a security scheme."""
    schemes = viewer_client.get("/api/v1/schema/", {"format": "json"}).json()["components"]["securitySchemes"]
    assert any(scheme.get("type") == "apiKey" and scheme.get("name") == "Authorization" for scheme in schemes.values())


def test_docs_page_is_swagger_ui(viewer_client):
    """/api/v1/docs/ serves the Swagger UI HTML page pointing at the schema."""
    response = viewer_client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "swagger-ui" in content.lower()
    assert "/api/v1/schema/" in content


def _schema(client) -> dict:
    return client.get("/api/v1/schema/", {"format": "json"}).json()


def test_operations_document_their_error_answers(viewer_client):
    """Writes document 400, 401, 403, 409 (and 404 on an object's path); reads document 401 and 403; the bodies
    have schemas (`Error`, `FieldErrors`, `Conflict`)."""
    document = _schema(viewer_client)
    create = document["paths"]["/api/v1/sites/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409"} <= create.keys()
    assert create["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FieldErrors"}
    destroy = document["paths"]["/api/v1/sites/{name}/"]["delete"]["responses"]
    assert {"204", "401", "403", "404", "409"} <= destroy.keys()
    assert destroy["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Conflict"}
    assert {"200", "401", "403"} <= document["paths"]["/api/v1/jobs/"]["get"]["responses"].keys()
    assert {"Error", "FieldErrors", "Conflict"} <= document["components"]["schemas"].keys()


def test_the_boot_endpoints_and_the_ack_post_are_in_the_schema(viewer_client):
    """/boot/... (plain Django views) and POST /webhook-acks/<token>/ are documented with their answers."""
    paths = _schema(viewer_client)["paths"]
    for path in (
        "/boot/script/",
        "/boot/{boot_token}/template/",
        "/boot/{boot_token}/config/",
        "/boot/files/{relative}",
    ):
        assert {"200", "404"} <= paths[path]["get"]["responses"].keys(), path
    assert {"200", "404", "409"} <= paths["/boot/{boot_token}/signal/"]["post"]["responses"].keys()
    assert paths["/boot/script/"]["get"]["responses"]["200"]["content"].keys() == {"text/plain"}
    ack = paths["/api/v1/webhook-acks/{token}/"]
    assert {"get", "post"} <= ack.keys()
    assert ack["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AckRequest")


def test_foundation_types_documents_no_parameters_it_ignores(viewer_client):
    """GET /foundations/types/ takes no search, ordering or paging: the schema lists none, and the answer fits."""
    document = _schema(viewer_client)
    operation = document["paths"]["/api/v1/foundations/types/"]["get"]
    assert not operation.get("parameters")
    answer = viewer_client.get("/api/v1/foundations/types/").json()
    wanted = set(document["components"]["schemas"]["FoundationType"]["required"])
    assert answer and all(wanted <= entry.keys() for entry in answer)
