"""Filters of the object-changes list: `?object_type=`, `?object_id=`, `?user=`, `?action=`."""

import django_filters
from auditlog.models import LogEntry
from rest_framework.exceptions import ValidationError

from contractor.audit.registry import object_types

ACTIONS = {"create": LogEntry.Action.CREATE, "update": LogEntry.Action.UPDATE, "delete": LogEntry.Action.DELETE}


class ObjectChangeFilterSet(django_filters.FilterSet):
    object_type = django_filters.CharFilter(method="filter_object_type", help_text="site, foundation, structure...")
    object_id = django_filters.CharFilter(field_name="object_pk", help_text="The object's id.")
    user = django_filters.CharFilter(field_name="actor__username", help_text="Who made the change.")
    action = django_filters.ChoiceFilter(choices=[(name, name) for name in ACTIONS], method="filter_action")

    class Meta:
        model = LogEntry
        fields = ["object_type", "object_id", "user", "action"]

    def filter_object_type(self, queryset, name, value):
        types = object_types()
        if value not in types:
            raise ValidationError({name: [f"Unknown object type {value!r}; use one of {', '.join(sorted(types))}."]})
        return queryset.filter(content_type_id__in=types[value])

    def filter_action(self, queryset, name, value):
        return queryset.filter(action=ACTIONS[value])
