"""Filters for the foreman API."""

import django_filters

from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog


class JobFilterSet(django_filters.FilterSet):
    """`?foundation=<locator>`, `?structure=<id>`, `?dependency=<id>`, `?state=` (repeatable), `?script_name=`."""

    foundation = django_filters.CharFilter(field_name="foundation__locator")
    state = django_filters.MultipleChoiceFilter(choices=JobState.choices)

    class Meta:
        model = Job
        fields = {"structure": ["exact"], "dependency": ["exact"], "script_name": ["exact"]}


class JobLogFilterSet(django_filters.FilterSet):
    """`?target_kind=`, `?target=`, `?script_name=`, `?outcome=` (repeatable), `?job=<job id>`."""

    job = django_filters.NumberFilter(field_name="job_id_ref")
    outcome = django_filters.MultipleChoiceFilter(choices=JobState.choices)

    class Meta:
        model = JobLog
        fields = {"target_kind": ["exact"], "target": ["exact", "icontains"], "script_name": ["exact"]}
