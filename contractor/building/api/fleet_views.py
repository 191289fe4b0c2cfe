"""The fleet questions over the API: /api/v1/fleet-questions/counts/, impact/ and resources/."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.blueprint.models import BluePrint
from contractor.building import fleet
from contractor.building.models import Complex, Foundation, Structure
from contractor.site.models import Site


class CanViewFleet(permissions.BasePermission):
    """Reading the fleet needs view permission on foundations and structures."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.has_perms(["building.view_foundation", "building.view_structure"]))


def _param(request, name: str, model, field: str, *, required: bool = True):
    value = request.query_params.get(name)
    if not value:
        if required:
            raise exceptions.ValidationError({name: ["This parameter is required."]})
        return None
    try:
        return model.objects.get(**{field: value})
    except (model.DoesNotExist, ValueError):
        raise exceptions.ValidationError({name: [f"No {name} {value!r}."]}) from None


def _one_of(request, *names: str) -> str:
    given = [name for name in names if request.query_params.get(name)]
    if len(given) != 1:
        raise exceptions.ValidationError({names[0]: [f"Give exactly one of {' or '.join(names)}."]})
    return given[0]


def _params(*names: str):
    return [OpenApiParameter(name, str, required=False) for name in names]


class FleetViewSet(viewsets.ViewSet):
    """Questions about the fleet: how many, what is affected if something goes down, what a service uses."""

    permission_classes = [CanViewFleet]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request):
        base = request.build_absolute_uri()
        return Response({name: f"{base}{name}/" for name in ("counts", "impact", "resources")})

    @extend_schema(parameters=_params("site"), responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """Sites with sub-site totals, foundations per type and state, structures per blueprint (with heirs)."""
        return Response(fleet.fleet_counts(site=_param(request, "site", Site, "name", required=False)))

    @extend_schema(parameters=_params("foundation", "structure"), responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def impact(self, request):
        """What is affected if `?foundation=<locator>` or `?structure=<id>` goes down, as a tree with paths."""
        if _one_of(request, "foundation", "structure") == "foundation":
            return Response(fleet.impact(_param(request, "foundation", Foundation, "locator")))
        return Response(fleet.impact(_param(request, "structure", Structure, "pk")))

    @extend_schema(parameters=_params("blueprint", "complex"), responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def resources(self, request):
        """The foundations under `?blueprint=<name>` or `?complex=<name>` with their CPU, memory and disk, summed."""
        if _one_of(request, "blueprint", "complex") == "blueprint":
            return Response(fleet.resource_usage(blueprint=_param(request, "blueprint", BluePrint, "name")))
        return Response(fleet.resource_usage(complex_=_param(request, "complex", Complex, "name")))
