"""Foundations that live on a complex's hosts (a plugin's VMs, containers): reading them as
contractor.building.hosting sees them, each host's load, and placing one on the least loaded built host with
room. The plugins that have such foundations share these; their foundation model has `complex` and `host`
foreign keys, and `host`'s related name on Structure counts the load."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from contractor.building.choices import StructureState
from contractor.building.hosting import Hosted
from contractor.building.models import Structure


def hosted_rows(queryset, *, foundation_ids=None, host_ids=None, complex_ids=None) -> list[Hosted]:
    """The foundations of `queryset` matching the filters (see contractor.building.hosting.Finder): one query."""
    for field, values in (("pk", foundation_ids), ("host_id", host_ids), ("complex_id", complex_ids)):
        if values is not None:
            queryset = queryset.filter(**{f"{field}__in": values})
    rows = queryset.order_by("pk").values_list("pk", "locator", "state", "complex_id", "host_id", "host__hostname")
    return [Hosted(*row[:5], host_name=row[5] or "") for row in rows]


def host_loads(complex_, hosted: str) -> list[tuple[Structure, int]]:
    """The complex's built hosts, each with how many foundations (Structure's related name `hosted`) were placed
    on it, least loaded first."""
    placed = Q(**{f"{hosted}__host__isnull": False})
    hosts = Structure.objects.filter(complex_memberships__complex=complex_, state=StructureState.BUILT).annotate(
        load=Count(hosted, filter=placed, distinct=True)
    )
    return [(host, host.load) for host in hosts.order_by("load", "hostname", "pk")]


@transaction.atomic
def hosted_place(*, foundation, limit_field: str, hosted: str) -> Structure:
    """The host `foundation` is (or now will be) on: its recorded one, else the least loaded built host of its
    complex with room (fewer than the complex's `limit_field`; 0 places without limit).

    The foundation's and the complex's rows are locked while choosing, so two placements at once count each
    other."""
    model = type(foundation)
    foundation = model.objects.select_for_update().get(pk=foundation.pk)
    if foundation.host_id:
        return foundation.host
    complex_model = model._meta.get_field("complex").related_model
    complex_ = complex_model.objects.select_for_update().get(pk=foundation.complex_id)
    limit = getattr(complex_, limit_field)
    free = [host for host, load in host_loads(complex_, hosted) if not limit or load < limit]
    if not free:
        raise ValidationError({"host": f"Complex {complex_} has no built host with room for {foundation}."})
    foundation.host = free[0]
    foundation.save(update_fields=["host", "updated"])
    return foundation.host
