"""Filters for the dns API."""

import django_filters

from contractor.dns.models import Zone


class ZoneFilterSet(django_filters.FilterSet):
    """`?name=`, `?name__icontains=` and `?site=<name>` for the zone a site points at."""

    site = django_filters.CharFilter(field_name="sites__name")

    class Meta:
        model = Zone
        fields = {"name": ["exact", "icontains"]}
