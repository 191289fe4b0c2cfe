"""Read-only views of subcontractors (with liveness) and of the tasks handed to them."""

import django_filters
from rest_framework import viewsets

from contractor.foreman.api.task_serializers import SubcontractorSerializer, TaskSerializer
from contractor.foreman.choices import TaskState
from contractor.foreman.models import Subcontractor, Task
from contractor.foreman.tasks import subcontractor_list, task_list
from contractor.site.models import Site
from contractor.site.selectors import site_tree


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


class SubcontractorViewSet(viewsets.ReadOnlyModelViewSet):
    """Registered subcontractor daemons: sites, modules, last poll and whether they are alive."""

    queryset = subcontractor_list()
    serializer_class = SubcontractorSerializer
    filterset_class = SubcontractorFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "last_poll_at"]


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Remote calls of jobs' scripts and where they stand."""

    queryset = task_list()
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    search_fields = ["module", "function", "error"]
    ordering_fields = ["id", "created", "updated", "state"]
