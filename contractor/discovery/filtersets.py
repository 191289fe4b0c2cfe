"""Filters for the discovered machines API."""

import django_filters

from contractor.discovery.models import DiscoveredMachine


class DiscoveredMachineFilterSet(django_filters.FilterSet):
    """`?state=`, `?mac=`, `?site=<name>`, `?subcontractor=<name>`, `?foundation=<locator>`, `?matched_by=`."""

    site = django_filters.CharFilter(field_name="site__name")
    subcontractor = django_filters.CharFilter(field_name="subcontractor__name")
    foundation = django_filters.CharFilter(field_name="foundation__locator")
    mac = django_filters.CharFilter(field_name="mac", lookup_expr="iexact")

    class Meta:
        model = DiscoveredMachine
        fields = {"state": ["exact"], "matched_by": ["exact"], "address": ["exact"]}
