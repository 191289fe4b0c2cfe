"""FilterSets of the containers plugin's API (the complexes take every complex's: ComplexFilterSet)."""

import django_filters

from plugins.containers.models import PROTOCOLS, ContainerPort


class ContainerPortFilterSet(django_filters.FilterSet):
    foundation = django_filters.CharFilter(field_name="foundation__locator")
    host = django_filters.CharFilter(field_name="host__hostname")
    protocol = django_filters.ChoiceFilter(choices=PROTOCOLS)

    class Meta:
        model = ContainerPort
        fields = ["foundation", "host", "host_port", "container_port", "protocol"]
