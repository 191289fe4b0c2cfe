"""Serializers of the libvirt plugin's API."""

from rest_framework import serializers

from contractor.building.api.serializers import ComplexSerializer
from plugins.libvirt import services
from plugins.libvirt.models import LibvirtComplex


class LibvirtComplexSerializer(ComplexSerializer):
    """A complex of VM hosts: the complex's fields, its placement limit and how many VMs it holds."""

    vm_count = serializers.SerializerMethodField()

    class Meta(ComplexSerializer.Meta):
        model = LibvirtComplex
        fields = (*ComplexSerializer.Meta.fields, "max_vms_per_host", "vm_count")

    def get_vm_count(self, complex_) -> int:
        return complex_.vm_count if hasattr(complex_, "vm_count") else complex_.vms.count()

    def create(self, validated_data):
        return services.libvirt_complex_create(**validated_data)
