"""Viewsets for networks, address blocks, addresses and interfaces: declarative, writing through services."""

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


class ServiceModelViewSet(viewsets.ModelViewSet):
    """A ModelViewSet whose create, update and delete call the app's services."""

    create_service = update_service = delete_service = None
    instance_name = ""  # the keyword the update and delete services take the instance by

    def perform_create(self, serializer):
        serializer.instance = self.create_service(**serializer.validated_data)

    def perform_update(self, serializer):
        instance = {self.instance_name: serializer.instance}
        serializer.instance = self.update_service(**instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        if self.delete_service is None:
            return super().perform_destroy(instance)
        self.delete_service(**{self.instance_name: instance})


class CanAllocate(ModelPermissions):
    """Allocating from a block needs to see the block and to add addresses, not to change the block."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["utilities.view_addressblock", "utilities.add_address"]}


class NetworkViewSet(ServiceModelViewSet):
    queryset = Network.objects.select_related("site").prefetch_related(
        Prefetch("address_blocks", queryset=AddressBlock.objects.only("pk", "network_id", "site_id", "name"))
    )
    serializer_class = serializers.NetworkSerializer
    filterset_class = NetworkFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "mtu", "created"]
    create_service = staticmethod(services.network_create)
    update_service = staticmethod(services.network_update)
    instance_name = "network"


class AddressBlockViewSet(ServiceModelViewSet):
    queryset = AddressBlock.objects.select_related("site")
    serializer_class = serializers.AddressBlockSerializer
    filterset_class = AddressBlockFilterSet
    search_fields = ["name", "subnet"]
    ordering_fields = ["name", "subnet", "vlan", "created"]
    create_service = staticmethod(services.address_block_create)
    update_service = staticmethod(services.address_block_update)
    delete_service = staticmethod(services.address_block_delete)
    instance_name = "address_block"

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


class AddressViewSet(ServiceModelViewSet):
    queryset = Address.objects.select_related("address_block", "pxe")
    serializer_class = serializers.AddressSerializer
    filterset_class = AddressFilterSet
    search_fields = ["interface_name", "reason"]
    ordering_fields = ["offset", "kind", "created"]
    create_service = staticmethod(services.address_allocate)
    update_service = staticmethod(services.address_update)
    delete_service = staticmethod(services.address_release)
    instance_name = "address"


class RealNetworkInterfaceViewSet(ServiceModelViewSet):
    queryset = RealNetworkInterface.objects.select_related("foundation", "pxe")
    serializer_class = serializers.RealNetworkInterfaceSerializer
    filterset_class = RealNetworkInterfaceFilterSet
    search_fields = ["name", "mac", "physical_location", "foundation__locator"]
    ordering_fields = ["name", "mac", "created"]
    create_service = staticmethod(services.interface_create)
    update_service = staticmethod(services.interface_update)
    instance_name = "interface"


class AggregatedNetworkInterfaceViewSet(ServiceModelViewSet):
    queryset = AggregatedNetworkInterface.objects.prefetch_related(
        Prefetch("members", queryset=RealNetworkInterface.objects.only("pk"))
    )
    serializer_class = serializers.AggregatedNetworkInterfaceSerializer
    filterset_class = AggregatedNetworkInterfaceFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "created"]
    create_service = staticmethod(services.aggregated_interface_create)
    update_service = staticmethod(services.aggregated_interface_update)
    instance_name = "aggregated_interface"
