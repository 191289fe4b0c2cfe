"""The API's one write path (docs/architecture.md): serializers create and update through the services, viewsets
delete through them, and nothing in the API saves or deletes a model by itself."""

from django.urls import get_resolver
from rest_framework import mixins, serializers, viewsets

# Viewsets not yet writing through services (each app moved onto the one path in its own commit): none left.
NOT_YET: set[str] = set()


def routed_viewsets(patterns=None, found=None) -> set[type]:
    """Every viewset some URL of the project routes to."""
    found = set() if found is None else found
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if hasattr(pattern, "url_patterns"):
            routed_viewsets(pattern.url_patterns, found)
        elif isinstance(getattr(pattern.callback, "cls", None), type):
            if issubclass(pattern.callback.cls, viewsets.GenericViewSet):
                found.add(pattern.callback.cls)
    return found


def _own(cls, name: str, base) -> bool:
    return getattr(cls, name) is not getattr(base, name)


def write_path_problems(viewset) -> list[str]:
    """What in `viewset` (and its serializer) writes other than through the services."""
    problems = []
    serializer = viewset.serializer_class
    model_serializer = isinstance(serializer, type) and issubclass(serializer, serializers.ModelSerializer)
    if issubclass(viewset, mixins.CreateModelMixin):
        if _own(viewset, "perform_create", mixins.CreateModelMixin):
            problems.append("perform_create is overridden (the serializer's create() calls the service)")
        custom = _own(viewset, "create", mixins.CreateModelMixin)  # validates its own body and calls a service
        if model_serializer and not custom and not _own(serializer, "create", serializers.ModelSerializer):
            problems.append(f"{serializer.__name__}.create() saves the model itself")
    if issubclass(viewset, mixins.UpdateModelMixin):
        if _own(viewset, "perform_update", mixins.UpdateModelMixin):
            problems.append("perform_update is overridden (the serializer's update() calls the service)")
        if model_serializer and not _own(serializer, "update", serializers.ModelSerializer):
            problems.append(f"{serializer.__name__}.update() saves the model itself")
    if issubclass(viewset, mixins.DestroyModelMixin) and not _own(viewset, "perform_destroy", mixins.DestroyModelMixin):
        problems.append("perform_destroy() deletes the model itself instead of calling the delete service")
    return problems


def test_every_routed_viewset_writes_through_the_services():
    """No viewset or serializer of any app (plugins' included) creates, updates or deletes a model by itself."""
    names = {f"{cls.__module__}.{cls.__name__}": cls for cls in routed_viewsets()}
    problems = {name: write_path_problems(cls) for name, cls in names.items() if name not in NOT_YET}
    assert {name: found for name, found in problems.items() if found} == {}
    assert NOT_YET <= set(names), "a viewset listed as not yet on the write path is no longer routed"


def test_the_check_finds_a_viewset_that_saves_by_itself():
    """A plain ModelViewSet over a plain ModelSerializer is reported on create, update and delete."""
    from contractor.site.models import Site

    class PlainSerializer(serializers.ModelSerializer):
        class Meta:
            model = Site
            fields = ["name"]

    class PlainViewSet(viewsets.ModelViewSet):
        serializer_class = PlainSerializer

    assert len(write_path_problems(PlainViewSet)) == 3
