"""API error responses: Django validation errors become 400s that name the field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_detail(error: DjangoValidationError) -> dict | list:
    """The field -> messages shape of a Django ValidationError (non-field ones under non_field_errors)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, IntegrityError):
        return Response(
            {"non_field_errors": [f"Conflicts with existing data: {exc}".strip()]}, status=status.HTTP_409_CONFLICT
        )
    return drf_exception_handler(exc, context)
