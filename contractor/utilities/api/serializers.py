"""Serializers for networks, address blocks, addresses and interfaces; writes go through the services."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.blueprint.models import PXE
from contractor.building.models import Foundation
from contractor.site.models import Site
from contractor.utilities import services
from contractor.utilities.choices import AddressKind
from contractor.utilities.models import Address, AddressBlock, AggregatedNetworkInterface, Network, RealNetworkInterface
from contractor.utilities.services import address_offset

TIMESTAMPS = ["created", "updated"]


class NetworkSerializer(ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    address_blocks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Network
        fields = ["id", "name", "site", "description", "mtu", "address_blocks", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS
        validators = []  # the services validate, naming the field

    def create(self, validated_data):
        return services.network_create(**validated_data)

    def update(self, instance, validated_data):
        return services.network_update(network=instance, **validated_data)


class AddressBlockSerializer(ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    subnet = serializers.CharField(max_length=50, help_text="The network address; may carry the prefix: 10.0.0.0/24.")
    prefix = serializers.IntegerField(min_value=0, max_value=128, required=False)
    gateway = serializers.CharField(
        max_length=50, required=False, allow_null=True, allow_blank=True, help_text="The gateway's address, or null."
    )
    netmask = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Every address in the subnet, usable or not.")

    class Meta:
        model = AddressBlock
        fields = [
            "id",
            "name",
            "site",
            "network",
            "vlan",
            "subnet",
            "prefix",
            "gateway",
            "netmask",
            "size",
            "classless_reverse",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS
        validators = []

    def create(self, validated_data):
        return services.address_block_create(**validated_data)

    def update(self, instance, validated_data):
        return services.address_block_update(address_block=instance, **validated_data)


class AddressSerializer(ModelSerializer):
    address = serializers.CharField(
        source="ip_address", required=False, max_length=50, help_text="The IP; give it instead of `offset`."
    )
    offset = serializers.IntegerField(
        required=False, min_value=0, help_text="Position in the block; leave out both for the lowest free one."
    )
    kind = serializers.ChoiceField(choices=AddressKind.choices, default=AddressKind.STATIC)
    pxe = serializers.SlugRelatedField(slug_field="name", queryset=PXE.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Address
        fields = [
            "id",
            "address_block",
            "offset",
            "address",
            "kind",
            "structure",
            "interface_name",
            "alias_index",
            "is_primary",
            "reason",
            "pxe",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS
        validators = []

    def _block(self, data: dict) -> AddressBlock:
        if self.instance is not None:
            return self.instance.address_block
        return data.get("address_block") or self.context["address_block"]

    def validate(self, data):
        block = self._block(data)
        if self.instance is not None and data.pop("address_block", block) != block:
            raise serializers.ValidationError({"address_block": "An address stays in its block: release it instead."})
        ip = data.pop("ip_address", None)
        if ip is not None:
            offset = address_offset(address_block=block, address=ip)
            if data.get("offset", offset) != offset:
                raise serializers.ValidationError({"address": f"{ip} is not at offset {data['offset']}."})
            data["offset"] = offset
        return data

    def create(self, validated_data):
        return services.address_allocate(**validated_data)

    def update(self, instance, validated_data):
        return services.address_update(address=instance, **validated_data)


class AddressAllocateSerializer(AddressSerializer):
    """The body of POST address-blocks/<id>/allocate/: an Address without its block."""

    class Meta(AddressSerializer.Meta):
        fields = [name for name in AddressSerializer.Meta.fields if name != "address_block"]


class NextFreeSerializer(serializers.Serializer):
    address = serializers.CharField(allow_null=True, help_text="Null when the block is full.")
    offset = serializers.IntegerField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Usable addresses: the block less network, broadcast and gateway.")
    used = serializers.IntegerField()
    free = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    percent_used = serializers.FloatField()


class RealNetworkInterfaceSerializer(ModelSerializer):
    foundation = serializers.SlugRelatedField(slug_field="locator", queryset=Foundation.objects.all())
    mac = serializers.CharField(max_length=17, required=False, allow_blank=True)
    pxe = serializers.SlugRelatedField(slug_field="name", queryset=PXE.objects.all(), required=False, allow_null=True)

    class Meta:
        model = RealNetworkInterface
        fields = [
            "id",
            "foundation",
            "name",
            "mac",
            "physical_location",
            "is_provisioning",
            "network",
            "pxe",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS
        validators = []

    def create(self, validated_data):
        return services.interface_create(**validated_data)

    def update(self, instance, validated_data):
        return services.interface_update(interface=instance, **validated_data)


class AggregatedNetworkInterfaceSerializer(ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, queryset=RealNetworkInterface.objects.all(), required=False)

    class Meta:
        model = AggregatedNetworkInterface
        fields = ["id", "structure", "name", "primary", "members", "mode", "parameters", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS
        validators = []

    def create(self, validated_data):
        return services.aggregated_interface_create(**validated_data)

    def update(self, instance, validated_data):
        return services.aggregated_interface_update(aggregated_interface=instance, **validated_data)
