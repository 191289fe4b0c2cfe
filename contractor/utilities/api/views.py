"""Viewsets for networks, address blocks, addresses and interfaces: declarative; writes go through the services."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.api.permissions import ModelPermissions
from contractor.utilities import services
from contractor.utilities.api import serializers
from contractor.utilities.filtersets import (
    AddressBlockFilterSet,
    AddressFilterSet,
    AggregatedNetworkInterfaceFilterSet,
    NetworkFilterSet,
    RealNetworkInterfaceFilterSet,
)
from contractor.utilities.models import Address, AddressBlock, AggregatedNetworkInterface, Network, RealNetworkInterface
from contractor.utilities.selectors import address_block_next_free, address_block_usage


class CanAllocate(ModelPermissions):
    """Allocating from a block needs to see the block and to add addresses, not to change the block."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["utilities.view_addressblock", "utilities.add_address"]}


class NetworkViewSet(viewsets.ModelViewSet):
    queryset = Network.objects.select_related("site").prefetch_related(
        Prefetch("address_blocks", queryset=AddressBlock.objects.only("pk", "network_id", "site_id", "name"))
    )
    serializer_class = serializers.NetworkSerializer
    filterset_class = NetworkFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "mtu", "created"]

    def perform_destroy(self, instance):
        services.network_delete(network=instance)


class AddressBlockViewSet(viewsets.ModelViewSet):
    queryset = AddressBlock.objects.select_related("site")
    serializer_class = serializers.AddressBlockSerializer
    filterset_class = AddressBlockFilterSet
    search_fields = ["name", "subnet"]
    ordering_fields = ["name", "subnet", "vlan", "created"]

    def perform_destroy(self, instance):
        services.address_block_delete(address_block=instance)

    @extend_schema(request=serializers.AddressAllocateSerializer, responses={201: serializers.AddressSerializer})
    @action(detail=True, methods=["post"], permission_classes=[CanAllocate])
    def allocate(self, request, pk=None):
        """Take an address from this block: the one named by `address`/`offset`, else the lowest free one."""
        block = self.get_object()
        body = serializers.AddressAllocateSerializer(data=request.data, context={"address_block": block})
        body.is_valid(raise_exception=True)
        address = services.address_allocate(address_block=block, **body.validated_data)
        return Response(serializers.AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.NextFreeSerializer)
    @action(detail=True, methods=["get"], url_path="next-free")
    def next_free(self, request, pk=None):
        """The address an allocation would take now, without taking it (null when the block is full)."""
        block = self.get_object()
        offset = address_block_next_free(block)
        address = None if offset is None else block.address_at(offset)
        return Response(serializers.NextFreeSerializer({"address": address, "offset": offset}).data)

    @extend_schema(responses=serializers.UsageSerializer)
    @action(detail=True, methods=["get"])
    def usage(self, request, pk=None):
        """How many of the block's usable addresses are used, in total and by kind."""
        return Response(serializers.UsageSerializer(address_block_usage(self.get_object())).data)


class AddressViewSet(viewsets.ModelViewSet):
    queryset = Address.objects.select_related("address_block", "pxe")
    serializer_class = serializers.AddressSerializer
    filterset_class = AddressFilterSet
    search_fields = ["interface_name", "reason"]
    ordering_fields = ["offset", "kind", "created"]

    def perform_destroy(self, instance):
        services.address_release(address=instance)


class RealNetworkInterfaceViewSet(viewsets.ModelViewSet):
    queryset = RealNetworkInterface.objects.select_related("foundation", "pxe")
    serializer_class = serializers.RealNetworkInterfaceSerializer
    filterset_class = RealNetworkInterfaceFilterSet
    search_fields = ["name", "mac", "physical_location", "foundation__locator"]
    ordering_fields = ["name", "mac", "created"]

    def perform_destroy(self, instance):
        services.interface_delete(interface=instance)


class AggregatedNetworkInterfaceViewSet(viewsets.ModelViewSet):
    queryset = AggregatedNetworkInterface.objects.prefetch_related(
        Prefetch("members", queryset=RealNetworkInterface.objects.only("pk"))
    )
    serializer_class = serializers.AggregatedNetworkInterfaceSerializer
    filterset_class = AggregatedNetworkInterfaceFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "created"]

    def perform_destroy(self, instance):
        services.aggregated_interface_delete(aggregated_interface=instance)
