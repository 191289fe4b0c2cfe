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
