"""Filters for the user API."""

import django_filters

from contractor.user.models import User


class UserFilterSet(django_filters.FilterSet):
    """`?username=`, `?username__icontains=`, `?is_active=` and `?role=<role name>`."""

    role = django_filters.CharFilter(field_name="groups__name", distinct=True)

    class Meta:
        model = User
        fields = {"username": ["exact", "icontains"], "email": ["exact", "icontains"], "is_active": ["exact"]}
