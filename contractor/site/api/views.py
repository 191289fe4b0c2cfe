"""Viewsets of the site API."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.mixins import ConfigActionMixin
from contractor.site import services
from contractor.site.api.serializers import SiteSerializer
from contractor.site.filtersets import SiteFilterSet
from contractor.site.selectors import site_list


class SiteViewSet(ConfigActionMixin, viewsets.ModelViewSet):
    """Sites, addressed by name; deleting one still in use is a 409."""

    queryset = site_list()
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created", "updated"]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"

    def perform_destroy(self, instance):
        services.site_delete(site=instance)

    @extend_schema(
        summary="Dependency graph",
        description="The structures, foundations and dependencies of this site as nodes and edges.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description='{"nodes": [...], "edges": [...]}')},
    )
    @action(detail=True, methods=["get"], url_path="dependency-graph", pagination_class=None, filter_backends=[])
    def dependency_graph(self, request, *args, **kwargs):
        from contractor.building.selectors import site_dependency_graph

        return Response(site_dependency_graph(self.get_object()))
