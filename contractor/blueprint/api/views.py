"""Viewsets of the blueprint API: foundation and structure blueprints, and PXEs."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.blueprint import filtersets, selectors, services
from contractor.blueprint.api import serializers
from contractor.blueprint.models import PXE


class BluePrintViewSet(viewsets.ModelViewSet):
    """What both blueprint collections share: lookup by name, search, deletes refused while in use."""

    search_fields = ["name", "description"]
    ordering_fields = ["name", "created", "updated"]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"

    def perform_destroy(self, instance):
        services.blueprint_delete(blueprint=instance)

    @extend_schema(
        summary="Resolved script",
        description="The named script as this blueprint runs it: its own, else the first found walking its "
        "lineage backwards; `blueprint` names where it came from.",
        parameters=[OpenApiParameter("script", str, OpenApiParameter.PATH, description="Script name.")],
        responses={200: serializers.ResolvedScriptSerializer},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"scripts/(?P<script>[^/]+)",
        pagination_class=None,
        filter_backends=[],
        serializer_class=serializers.ResolvedScriptSerializer,
    )
    def script(self, request, *args, script=None, **kwargs):
        found = self.get_object().get_script(script)
        if found is None:
            raise Http404(f"No script named {script}.")
        return Response(serializers.ResolvedScriptSerializer(found).data)


class FoundationBluePrintViewSet(BluePrintViewSet):
    """Foundation blueprints, addressed by name."""

    queryset = selectors.foundation_blueprint_list()
    serializer_class = serializers.FoundationBluePrintSerializer
    filterset_class = filtersets.FoundationBluePrintFilterSet


class StructureBluePrintViewSet(BluePrintViewSet):
    """Structure blueprints, addressed by name."""

    queryset = selectors.structure_blueprint_list()
    serializer_class = serializers.StructureBluePrintSerializer
    filterset_class = filtersets.StructureBluePrintFilterSet


class PXEViewSet(viewsets.ModelViewSet):
    """PXE boot targets, addressed by name."""

    queryset = PXE.objects.all()
    serializer_class = serializers.PXESerializer
    filterset_class = filtersets.PXEFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created", "updated"]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"

    def perform_destroy(self, instance):
        services.pxe_delete(pxe=instance)
