"""Views of the containers plugin's API: /api/v1/container-complexes/ (addressed by name) and
/api/v1/container-ports/ (read-only: the host ports Contractor allocated)."""

from rest_framework import viewsets

from contractor.building.api.views import ComplexViewSet
from plugins.containers.api.filtersets import ContainerPortFilterSet
from plugins.containers.api.serializers import ContainerComplexSerializer, ContainerPortSerializer
from plugins.containers.models import ContainerPort
from plugins.containers.selectors import container_complex_queryset


class ContainerComplexViewSet(ComplexViewSet):
    """Complexes of container hosts; the members are the hosts, a container foundation names its complex."""

    queryset = container_complex_queryset().prefetch_related("members")
    serializer_class = ContainerComplexSerializer


class ContainerPortViewSet(viewsets.ReadOnlyModelViewSet):
    """The host ports given to containers, one per host and port (filter by ?host=, ?foundation=, ?host_port=)."""

    queryset = ContainerPort.objects.select_related("foundation", "host").order_by("host__hostname", "host_port")
    serializer_class = ContainerPortSerializer
    filterset_class = ContainerPortFilterSet
