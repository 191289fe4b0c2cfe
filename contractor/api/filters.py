"""The list filters every endpoint shares: query parameters that name nothing are 400s naming the parameter."""

from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django_filters import CharFilter
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` whose every term must be one of the view's ordering fields (DRF drops unknown ones silently)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {self.ordering_param: [f"Cannot order by {', '.join(map(repr, unknown))}; use {', '.join(valid)}."]}
            )
        return fields


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; a filter naming a related object by a unique field (`?site=<name>`) must name one."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        missing = {
            name: [f"No {model._meta.verbose_name} with {field} {value!r}."]
            for name, model, field, value in _named_objects(filterset)
            if not model._default_manager.filter(**{field: value}).exists()
        }
        if missing:
            raise ValidationError(missing)
        return filterset.qs


def _named_objects(filterset):
    """(parameter, related model, its unique field, value) for each exact related-name filter given a value."""
    for name, value in filterset.form.cleaned_data.items():
        flt = filterset.filters[name]
        if value in (None, "") or type(flt) is not CharFilter or flt.method or flt.lookup_expr != "exact":
            continue
        target = _unique_related_field(filterset._meta.model, flt.field_name)
        if target:
            yield (name, *target, value)


def _unique_related_field(model, path: str):
    """(model, field name) when `path` crosses a relation and ends on a unique field of the model it reaches."""
    *relations, last = path.split(LOOKUP_SEP)
    if not relations:
        return None
    try:
        for part in relations:
            model = model._meta.get_field(part).related_model
            if model is None:
                return None
        field = model._meta.get_field(last)
    except FieldDoesNotExist:
        return None
    return (model, last) if field.unique else None
