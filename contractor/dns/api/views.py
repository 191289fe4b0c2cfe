"""Viewsets of the dns API."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.dns import services
from contractor.dns import state as zone_state
from contractor.dns.api.serializers import ReverseZoneSerializer, ZoneSerializer
from contractor.dns.filtersets import ZoneFilterSet
from contractor.dns.selectors import zone_list

ZONE_FILE = {(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="A BIND zone file.")}


def zone_file_response(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


class ZoneViewSet(viewsets.ModelViewSet):
    """DNS zones, addressed by name; each has a zone file and reverse zones; deleting one in use is a 409."""

    queryset = zone_list()
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created", "updated"]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"

    def perform_destroy(self, instance):
        services.zone_delete(zone=instance)

    @extend_schema(summary="Zone file", description="The zone's BIND zone file.", responses=ZONE_FILE)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def zonefile(self, request, *args, **kwargs):
        zone = self.get_object()
        texts = services.zone_texts_publish(texts={zone.name: zone_state.forward_zone(zone)})
        return zone_file_response(texts[zone.name].text)

    @extend_schema(
        summary="Reverse zones",
        description="The reverse zones (in-addr.arpa, ip6.arpa) this zone publishes, with their serials.",
        responses=ReverseZoneSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def reverse(self, request, *args, **kwargs):
        texts = services.zone_texts_publish(texts=zone_state.zone_reverse_zones(self.get_object()))
        base = request.build_absolute_uri()
        rows = [
            {"origin": origin, "serial": published.serial, "url": f"{base}{origin}/"}
            for origin, published in sorted(texts.items())
        ]
        return Response(ReverseZoneSerializer(rows, many=True).data)

    @extend_schema(summary="Reverse zone file", description="One reverse zone's BIND zone file.", responses=ZONE_FILE)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"reverse/(?P<origin>[^/]+)",
        pagination_class=None,
        filter_backends=[],
    )
    def reverse_zonefile(self, request, origin, *args, **kwargs):
        reverse_zones = zone_state.zone_reverse_zones(self.get_object())
        if origin not in reverse_zones:
            raise Http404(f"{origin} is not a reverse zone of this zone.")
        return zone_file_response(services.zone_texts_publish(texts={origin: reverse_zones[origin]})[origin].text)
