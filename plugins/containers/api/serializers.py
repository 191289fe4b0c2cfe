"""Serializers of the containers plugin's API."""

from rest_framework import serializers

from contractor.building.api.serializers import ComplexSerializer
from plugins.containers import services
from plugins.containers.models import ContainerComplex, ContainerPort


class ContainerComplexSerializer(ComplexSerializer):
    """A complex of container hosts: the complex's fields, its placement limit and how many containers it holds."""

    container_count = serializers.SerializerMethodField()

    class Meta(ComplexSerializer.Meta):
        model = ContainerComplex
        fields = (*ComplexSerializer.Meta.fields, "max_containers_per_host", "container_count")

    def get_container_count(self, complex_) -> int:
        return complex_.container_count if hasattr(complex_, "container_count") else complex_.containers.count()

    def create(self, validated_data):
        return services.container_complex_create(**validated_data)


class ContainerPortSerializer(serializers.ModelSerializer):
    """A host port Contractor gave a container's port (read-only: allocated by create, released by destroy)."""

    foundation = serializers.SlugRelatedField(slug_field="locator", read_only=True)
    host = serializers.SlugRelatedField(slug_field="hostname", read_only=True)

    class Meta:
        model = ContainerPort
        fields = ("id", "foundation", "container_port", "protocol", "host", "host_port", "address")
        read_only_fields = fields
