"""Viewsets of the building API."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.actions import viewset_action_add
from contractor.building import selectors, services
from contractor.building.api import serializers
from contractor.building.filtersets import (
    ComplexFilterSet,
    DependencyFilterSet,
    FoundationFilterSet,
    StructureFilterSet,
)
from contractor.building.models import Dependency, Structure


class FoundationViewSet(viewsets.ModelViewSet):
    """Foundations of every installed type; POST with a `type` and that type's own fields."""

    queryset = selectors.foundation_queryset()
    serializer_class = serializers.FoundationSerializer
    filterset_class = FoundationFilterSet
    lookup_field = "locator"
    lookup_value_regex = "[^/]+"
    search_fields = ["locator"]
    ordering_fields = ["locator", "type", "state", "created"]

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request body to pick a type from
            return serializers.FoundationSerializer
        if self.action in ("create", "update", "partial_update"):
            return serializers.foundation_serializer_class(self._write_model())
        if self.action == "located":
            return serializers.LocateSerializer
        return super().get_serializer_class()

    def _write_model(self):
        if self.action != "create":
            return type(self.get_object())
        name = self.request.data.get("type")
        if not name:
            raise exceptions.ValidationError({"type": ["This field is required."]})
        return services.foundation_model(str(name))

    def get_object(self):
        return super().get_object().subclass

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.foundations_as_types(page)

    def perform_destroy(self, instance):
        services.foundation_delete(foundation=instance)

    @extend_schema(request=serializers.LocateSerializer, responses=serializers.FoundationSerializer)
    @action(detail=True, methods=["post"])
    def located(self, request, **kwargs):
        body = serializers.LocateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        foundation = services.foundation_locate(foundation=self.get_object(), id_map=body.validated_data.get("id_map"))
        return Response(serializers.FoundationSerializer(foundation, context=self.get_serializer_context()).data)

    @extend_schema(
        operation_id="foundations_types",
        description="Every installed foundation type and the fields it adds; one list, neither paged nor filtered.",
        responses=serializers.FoundationTypeSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=[])
    def types(self, request):
        return Response(serializers.foundation_type_descriptions())


class StructureViewSet(viewsets.ModelViewSet):
    """Structures, addressed by id."""

    queryset = Structure.objects.select_related("site", "blueprint", "foundation")
    serializer_class = serializers.StructureSerializer
    filterset_class = StructureFilterSet
    search_fields = ["hostname"]
    ordering_fields = ["hostname", "state", "created"]

    def perform_destroy(self, instance):
        services.structure_delete(structure=instance)


class ComplexViewSet(viewsets.ModelViewSet):
    """Complexes, addressed by name; their state is computed from their members'."""

    queryset = selectors.complex_queryset().prefetch_related("members")
    serializer_class = serializers.ComplexSerializer
    filterset_class = ComplexFilterSet
    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    search_fields = ["name"]

    def perform_destroy(self, instance):
        services.complex_delete(complex_=instance)


class DependencyViewSet(viewsets.ModelViewSet):
    """Dependencies: something waiting on a structure or on another dependency."""

    queryset = Dependency.objects.select_related("foundation")
    serializer_class = serializers.DependencySerializer
    filterset_class = DependencyFilterSet

    def perform_destroy(self, instance):
        services.dependency_delete(dependency=instance)


def target_action_add(route) -> None:
    """Give foundations and structures a route of an app above building: `route` is a DRF `@action` function, added
    under its own name to both viewsets (the foreman adds `POST .../jobs/` so). Called from that app's
    AppConfig.ready(), before the URLconf builds the routes: what gets built does not import who builds it."""
    for viewset in (FoundationViewSet, StructureViewSet):
        viewset_action_add(viewset, route)
