"""Building's endpoint on a site: `GET /api/v1/sites/<name>/dependency-graph/`, added to the site viewset when
building starts (the site app sits below building and cannot ask it)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.actions import viewset_action_add
from contractor.building.selectors import site_dependency_graph
from contractor.site.api.views import SiteViewSet


@extend_schema(
    summary="Dependency graph",
    description="The structures, foundations and dependencies of this site as nodes and edges.",
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description='{"nodes": [...], "edges": [...]}')},
)
@action(detail=True, methods=["get"], url_path="dependency-graph", pagination_class=None, filter_backends=[])
def dependency_graph(self, request, *args, **kwargs):
    return Response(site_dependency_graph(self.get_object()))


def site_actions_add() -> None:
    """Offer `dependency-graph/` on the site viewset."""
    viewset_action_add(SiteViewSet, dependency_graph)
