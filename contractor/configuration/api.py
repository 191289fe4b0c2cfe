"""The config engine's REST endpoint: `GET <object>/config/` on sites, blueprints, foundations and structures.

Their apps sit below the engine, so the engine adds the action to their viewsets when it starts (apps.py).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.actions import viewset_action_add
from contractor.api.permissions import can_see_secrets
from contractor.blueprint.api.views import BluePrintViewSet
from contractor.building.api.views import FoundationViewSet, StructureViewSet
from contractor.configuration.errors import ConfigError
from contractor.configuration.layers import merged_config, traced_config
from contractor.site.api.views import SiteViewSet


@extend_schema(
    summary="Merged config",
    description="The config this object sees: inherited values, its own, and the globals. "
    "Secrets are redacted unless the user holds user.view_secrets. With `layers=1`, each key maps to "
    '`{"value", "layer", "layers"}`: the value and the layer(s) that set it.',
    parameters=[
        OpenApiParameter(
            "layers",
            OpenApiTypes.BOOL,
            description="1: show, per key, the value and the layer that set it (`layer`) or shaped it (`layers`).",
        )
    ],
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="Config key -> value (or value and layers)."),
        400: OpenApiResponse(
            OpenApiTypes.OBJECT, description="The config cannot be built (a cycle, a bad modifier or template)."
        ),
    },
)
@action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
def config(self, request, *args, **kwargs):
    """`GET <object>/config/`: the object's merged config, secrets shown only to those allowed."""
    build = traced_config if _layers_wanted(request) else merged_config
    try:
        return Response(build(self.get_object(), reveal_secrets=can_see_secrets(request.user)))
    except ConfigError as error:
        raise exceptions.ValidationError({"config": [str(error)]}) from error


def _layers_wanted(request) -> bool:
    raw = request.query_params.get("layers", "")
    if raw.lower() in ("", "0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise exceptions.ValidationError({"layers": [f"Use layers=1 or layers=0, not {raw!r}."]})


def config_actions_add() -> None:
    """Offer `config/` on the viewsets of every object with a merged config (plugins' foundation viewsets too:
    they subclass FoundationViewSet)."""
    for viewset in (SiteViewSet, BluePrintViewSet, FoundationViewSet, StructureViewSet):
        viewset_action_add(viewset, config)
