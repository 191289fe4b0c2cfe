"""Error format: validation errors are 400s keyed by the field, conflicts 409, unknown objects 404."""

import pytest
from django.db import IntegrityError

from contractor.api.exceptions import exception_handler

pytestmark = pytest.mark.django_db


def test_serializer_validation_error_names_the_field(admin_client_api):
    """A bad value caught by the serializer is a 400 whose body is keyed by the field name."""
    response = admin_client_api.post("/api/v1/users/", {"username": "ok", "email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert list(response.data) == ["email"]
    assert isinstance(response.data["email"], list) and response.data["email"][0]


def test_service_validation_error_names_the_field(admin_client_api):
    """A Django ValidationError raised in a service (here the password validators) is a 400 naming the field."""
    response = admin_client_api.post("/api/v1/users/", {"username": "ok", "password": "2short"}, format="json")
    assert response.status_code == 400
    assert list(response.data) == ["password"]
    assert "too short" in response.data["password"][0]


def test_missing_required_field_is_named(admin_client_api):
    """A missing required field is named in the 400."""
    response = admin_client_api.post("/api/v1/users/", {}, format="json")
    assert response.status_code == 400
    assert "username" in response.data


def test_unknown_object_is_404(admin_client_api):
    """An object that does not exist is a 404 with a detail message."""
    response = admin_client_api.get("/api/v1/users/nobody-here/")
    assert response.status_code == 404
    assert "detail" in response.data


def test_integrity_error_becomes_409():
    """An IntegrityError that escapes a view is a 409 with the reason under non_field_errors."""
    response = exception_handler(IntegrityError("UNIQUE constraint failed: x"), {})
    assert response.status_code == 409
    assert "UNIQUE constraint failed" in response.data["non_field_errors"][0]
