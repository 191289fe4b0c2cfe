"""API error responses: validation errors are 400s naming the field; unknown paths and crashes answer JSON."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contractor.db import in_use_message


def validation_detail(error: DjangoValidationError) -> dict | list:
    """The field -> messages shape of a Django ValidationError (non-field ones under non_field_errors)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def _deleted_object(context):
    """The object the request was about (for naming it in a conflict), or None."""
    view = context.get("view")
    try:
        return view.get_object() if view is not None and hasattr(view, "get_object") else None
    except Exception:  # naming the object is a nicety; the conflict is answered without it
        return None


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = exceptions.ParseError(f"The request body is larger than {limit} bytes, the most accepted.")
    elif isinstance(exc, ProtectedError | RestrictedError):
        # A delete the database refuses because other rows still point here: say which, as a sentence.
        message = in_use_message(exc, _deleted_object(context))
        return Response({"non_field_errors": [message]}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, IntegrityError):
        return Response(
            {"non_field_errors": [f"Conflicts with existing data: {exc}".strip()]}, status=status.HTTP_409_CONFLICT
        )
    return drf_exception_handler(exc, context)


_JSON_PREFIXES = ("/api/", "/boot/")


def not_found(request, exception):
    """The 404 of a path no URL matches: JSON for API and boot clients, the plain page for browsers elsewhere."""
    if request.path.startswith(_JSON_PREFIXES):
        return JsonResponse({"detail": f"Nothing at {request.path}: see /api/v1/ for the endpoints."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The 500 of an unhandled error: no traceback; JSON for API and boot clients."""
    if request.path.startswith(_JSON_PREFIXES):
        return JsonResponse({"detail": "Internal server error; the server log has the details."}, status=500)
    return defaults.server_error(request)
