"""Viewsets of the foreman API: jobs and their logs, read-only for now."""

from rest_framework import viewsets

from contractor.foreman import selectors
from contractor.foreman.api.serializers import JobLogSerializer, JobSerializer
from contractor.foreman.filtersets import JobFilterSet, JobLogFilterSet


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Jobs in flight and finished ones not yet cleaned up, newest first."""

    queryset = selectors.job_list()
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    search_fields = ["script_name", "message", "foundation__locator", "structure__hostname"]
    ordering_fields = ["id", "created", "started_at", "finished_at", "updated", "state"]


class JobLogViewSet(viewsets.ReadOnlyModelViewSet):
    """The permanent record of every job run, newest first."""

    queryset = selectors.job_log_list()
    serializer_class = JobLogSerializer
    filterset_class = JobLogFilterSet
    search_fields = ["script_name", "target", "message"]
    ordering_fields = ["id", "created", "started_at", "finished_at"]
