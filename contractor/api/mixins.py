"""The `config/` action shared by every viewset whose objects have a merged config."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.permissions import can_see_secrets


class ConfigActionMixin:
    """Adds `GET <object>/config/`: the object's merged config, secrets shown only to those allowed."""

    @extend_schema(
        summary="Merged config",
        description="The config this object sees: inherited values, its own, and the globals. "
        "Secrets are redacted unless the user holds user.view_secrets.",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Config key -> value."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The config cannot be merged (a cycle)."),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def config(self, request, *args, **kwargs):
        from contractor.configuration import ConfigError, merged_config

        try:
            return Response(merged_config(self.get_object(), reveal_secrets=can_see_secrets(request.user)))
        except ConfigError as error:
            raise exceptions.ValidationError({"config": [str(error)]}) from error
