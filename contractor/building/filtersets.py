"""FilterSets of the building API."""

import django_filters

from contractor.building.choices import DependencyLink, FoundationState, StructureState
from contractor.building.models import Complex, Dependency, Foundation, Structure


class FoundationFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__name")
    blueprint = django_filters.CharFilter(field_name="blueprint__name")
    state = django_filters.ChoiceFilter(choices=FoundationState.choices)

    class Meta:
        model = Foundation
        fields = ["locator", "type", "site", "blueprint", "state"]


class StructureFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__name")
    blueprint = django_filters.CharFilter(field_name="blueprint__name")
    foundation = django_filters.CharFilter(field_name="foundation__locator")
    state = django_filters.ChoiceFilter(choices=StructureState.choices)

    class Meta:
        model = Structure
        fields = ["hostname", "site", "blueprint", "foundation", "state"]


class ComplexFilterSet(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__name")

    class Meta:
        model = Complex
        fields = ["name", "site"]


class DependencyFilterSet(django_filters.FilterSet):
    foundation = django_filters.CharFilter(field_name="foundation__locator")
    link = django_filters.ChoiceFilter(choices=DependencyLink.choices)
    state = django_filters.ChoiceFilter(choices=StructureState.choices)

    class Meta:
        model = Dependency
        fields = ["structure", "dependency", "foundation", "script_structure", "link", "state"]
