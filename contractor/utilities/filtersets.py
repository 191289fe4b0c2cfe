"""Query-string filters for the networks, address blocks, addresses and interfaces lists."""

import django_filters

from contractor.utilities.choices import AddressKind, AggregationMode
from contractor.utilities.models import Address, AddressBlock, AggregatedNetworkInterface, Network, RealNetworkInterface
from contractor.utilities.selectors import address_ip_q


class NetworkFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__name")

    class Meta:
        model = Network
        fields = ["site", "name"]


class AddressBlockFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__name")

    class Meta:
        model = AddressBlock
        fields = ["site", "network", "name", "vlan"]


class AddressFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AddressKind.choices)
    address = django_filters.CharFilter(method="filter_address", label="IP address")

    class Meta:
        model = Address
        fields = ["address_block", "structure", "kind", "is_primary", "interface_name"]

    def filter_address(self, queryset, name, value):
        matches = address_ip_q(value)
        return queryset.none() if matches is None else queryset.filter(matches)


class RealNetworkInterfaceFilterSet(django_filters.FilterSet):
    foundation = django_filters.CharFilter(field_name="foundation__locator")
    mac = django_filters.CharFilter(method="filter_mac")

    class Meta:
        model = RealNetworkInterface
        fields = ["foundation", "name", "mac", "is_provisioning", "network"]

    def filter_mac(self, queryset, name, value):
        return queryset.filter(mac=value.strip().lower().replace("-", ":"))


class AggregatedNetworkInterfaceFilterSet(django_filters.FilterSet):
    mode = django_filters.ChoiceFilter(choices=AggregationMode.choices)

    class Meta:
        model = AggregatedNetworkInterface
        fields = ["structure", "name", "mode"]
