"""Viewsets of the discovered machines API."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.discovery import services
from contractor.discovery.api import serializers
from contractor.discovery.filtersets import DiscoveredMachineFilterSet
from contractor.discovery.models import DiscoveredMachine


class CanChangeDiscovered(permissions.BasePermission):
    """Assigning a machine or creating its foundation changes it: `discovery.change_discoveredmachine`."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("discovery.change_discoveredmachine"))


class DiscoveredMachineViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Machines that booted the discovery image and reported their hardware. POST `assign/` gives one to a planned
    foundation, `create-foundation/` makes a foundation for it; DELETE forgets it."""

    queryset = DiscoveredMachine.objects.select_related("site", "subcontractor", "foundation")
    serializer_class = serializers.DiscoveredMachineSerializer
    filterset_class = DiscoveredMachineFilterSet
    search_fields = ["mac", "address"]

    def perform_destroy(self, instance):
        services.discovered_forget(machine=instance)

    @extend_schema(request=serializers.AssignSerializer, responses=serializers.DiscoveredMachineSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanChangeDiscovered])
    def assign(self, request, **kwargs):
        body = serializers.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        machine = services.discovered_assign(machine=self.get_object(), foundation=body.validated_data["foundation"])
        return Response(self.get_serializer(machine).data)

    @extend_schema(request=serializers.CreateFoundationSerializer, responses=serializers.DiscoveredMachineSerializer)
    @action(detail=True, methods=["post"], url_path="create-foundation", permission_classes=[CanChangeDiscovered])
    def create_foundation(self, request, **kwargs):
        body = serializers.CreateFoundationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        machine = services.discovered_create_foundation(
            machine=self.get_object(),
            locator=data["locator"],
            blueprint=data["blueprint"],
            site=data.get("site"),
            foundation_type=data["type"],
        )
        return Response(self.get_serializer(machine).data, status=201)
