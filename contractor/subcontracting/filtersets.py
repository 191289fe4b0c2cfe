"""Filters for the subcontractor and task views."""

import django_filters

from contractor.site.models import Site
from contractor.site.selectors import site_tree
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task


class SubcontractorFilterSet(django_filters.FilterSet):
    """`?site=<name>` (those serving it: registered for it or a site above it), `?name=`."""

    site = django_filters.CharFilter(method="filter_site", label="Serves the site (registered for it or above it)")

    class Meta:
        model = Subcontractor
        fields = {"name": ["exact", "icontains"]}

    def filter_site(self, queryset, name, value):
        site = Site.objects.filter(name=value).first()
        if site is None:
            return queryset.none()
        return queryset.filter(sites__in=site_tree().ancestors(site.pk)).distinct()


class TaskFilterSet(django_filters.FilterSet):
    """`?job=<id>`, `?site=<name>`, `?module=`, `?function=`, `?state=` (repeatable), `?leased_by=<name>`."""

    site = django_filters.CharFilter(field_name="site__name")
    leased_by = django_filters.CharFilter(field_name="leased_by__name")
    state = django_filters.MultipleChoiceFilter(choices=TaskState.choices)

    class Meta:
        model = Task
        fields = {"job": ["exact"], "module": ["exact"], "function": ["exact"]}
