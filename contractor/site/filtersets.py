"""Filters for the site API."""

import django_filters

from contractor.site.models import Site


class SiteFilterSet(django_filters.FilterSet):
    """`?name=`, `?name__icontains=`, `?parent=<name>` and `?root=true` for top-level sites."""

    parent = django_filters.CharFilter(field_name="parent__name")
    root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Site
        fields = {"name": ["exact", "icontains"]}
