"""The PXE plan endpoint of the subcontractor protocol: what a subcontractor's DHCP/TFTP serves machines from."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from contractor.boot.api.serializers import PxePlanQuerySerializer, PxePlanSerializer
from contractor.boot.selectors import pxe_plan
from contractor.subcontracting.api.views import SubcontractorView
from contractor.subcontracting.selectors import subcontractor_sites_pick


class PxePlanView(SubcontractorView):
    """GET ?site=NAME (repeatable) -> the PXE plan of those sites and every site below them."""

    @extend_schema(
        parameters=[OpenApiParameter("site", str, required=True, many=True, description="A site it serves (repeat).")],
        responses=PxePlanSerializer,
    )
    def get(self, request):
        query = PxePlanQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sites = subcontractor_sites_pick(request.subcontractor, query.validated_data["site"])
        return Response(PxePlanSerializer(pxe_plan(sites)).data)
