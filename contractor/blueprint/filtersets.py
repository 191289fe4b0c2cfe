"""Filters for the blueprint API."""

import django_filters

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint


class BluePrintFilterSet(django_filters.FilterSet):
    """`?name=`, `?name__icontains=` and `?parent=<name>` (blueprints directly inheriting that one)."""

    parent = django_filters.CharFilter(field_name="parent_edges__parent__name", distinct=True)


class FoundationBluePrintFilterSet(BluePrintFilterSet):
    """Blueprint filters plus `?foundation_type=<type>`."""

    foundation_type = django_filters.CharFilter(method="filter_foundation_type")

    class Meta:
        model = FoundationBluePrint
        fields = {"name": ["exact", "icontains"]}

    def filter_foundation_type(self, queryset, name, value):
        # JSON containment is not portable to SQLite, and the blueprint table is small.
        ids = [pk for pk, types in FoundationBluePrint.objects.values_list("pk", "foundation_types") if value in types]
        return queryset.filter(pk__in=ids)


class StructureBluePrintFilterSet(BluePrintFilterSet):
    """Blueprint filters plus `?foundation_blueprint=<name>` (structure blueprints that may sit on it)."""

    foundation_blueprint = django_filters.CharFilter(field_name="foundation_blueprint_list__name", distinct=True)

    class Meta:
        model = StructureBluePrint
        fields = {"name": ["exact", "icontains"]}


class PXEFilterSet(django_filters.FilterSet):
    """`?name=` and `?name__icontains=`."""

    class Meta:
        model = PXE
        fields = {"name": ["exact", "icontains"]}
