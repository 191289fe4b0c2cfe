"""Reads of the containers plugin: containers as hosted foundations, the load of each host, a host's engine."""

from django.db.models import Count

from contractor.building.hosting import Hosted
from contractor.building.models import Structure
from contractor.building.placement import hosted_rows
from contractor.building.selectors import complex_queryset
from contractor.configuration import merged_config
from contractor.dns.published import Published
from plugins.containers.models import DEFAULT_ENGINE, ContainerComplex, ContainerFoundation, ContainerPort


def container_complex_queryset():
    """Container complexes with their member counts (as every complex) and `container_count`."""
    return complex_queryset(ContainerComplex).annotate(container_count=Count("containers", distinct=True))


def hosted_containers(*, foundation_ids=None, host_ids=None, complex_ids=None) -> list[Hosted]:
    """The container foundations matching the filters, as contractor.building.hosting sees them: one query."""
    return hosted_rows(ContainerFoundation.objects.all(), foundation_ids=foundation_ids, host_ids=host_ids,
                       complex_ids=complex_ids)  # fmt: skip


def host_config(host: Structure) -> dict:
    return merged_config(host, reveal_secrets=True)


def host_engine(host: Structure) -> str:
    """The host's engine address: its `container_engine_url` config value, else the local Docker socket."""
    return str(host_config(host).get("container_engine_url") or DEFAULT_ENGINE)


def host_publish_address(host: Structure) -> str:
    """Where the host publishes containers' ports: `container_publish_address`, else its primary address."""
    configured = host_config(host).get("container_publish_address")
    if configured:
        return str(configured)
    primary = host.addresses.filter(is_primary=True).first()
    return primary.ip_address if primary is not None else ""


def used_host_ports(host: Structure) -> set[int]:
    return set(ContainerPort.objects.filter(host=host).values_list("host_port", flat=True))


def published_ports(foundation: ContainerFoundation) -> list[ContainerPort]:
    return list(foundation.ports.order_by("container_port", "protocol"))


def published_container_ports(*, structure_ids=None) -> list[Published]:
    """The ports of running containers (created: an engine id recorded) as the structures on them publish them,
    for the zone files (contractor.dns.published): one query."""
    rows = ContainerPort.objects.filter(foundation__structure__isnull=False).exclude(foundation__container_id="")
    if structure_ids is not None:
        rows = rows.filter(foundation__structure__in=structure_ids)
    fields = ("foundation__structure", "address", "container_port", "protocol", "host_port")
    return [Published(*row) for row in rows.exclude(address="").order_by().values_list(*fields)]
