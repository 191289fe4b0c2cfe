"""The object-changes list: every recorded create, update and delete, newest first."""

from auditlog.models import LogEntry
from rest_framework import viewsets

from contractor.audit.api.serializers import ObjectChangeSerializer
from contractor.audit.filtersets import ObjectChangeFilterSet


class ObjectChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Who changed which object, when, and which fields from what to what."""

    queryset = LogEntry.objects.select_related("actor").order_by("-timestamp", "-pk")
    serializer_class = ObjectChangeSerializer
    filterset_class = ObjectChangeFilterSet
    ordering_fields = ["timestamp", "id"]
    search_fields = ["object_repr"]
