"""Views of the libvirt plugin's API: /api/v1/libvirt-complexes/ (addressed by name)."""

from contractor.building.api.views import ComplexViewSet
from plugins.libvirt.api.serializers import LibvirtComplexSerializer
from plugins.libvirt.selectors import libvirt_complex_queryset


class LibvirtComplexViewSet(ComplexViewSet):
    """Complexes of VM hosts; the members are the hosts, a libvirt foundation names its complex."""

    queryset = libvirt_complex_queryset().prefetch_related("members")
    serializer_class = LibvirtComplexSerializer
