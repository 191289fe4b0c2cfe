"""Reads of the libvirt plugin: the VMs as hosted foundations, the load of each host, a host's libvirt URI."""

from django.db.models import Count, Q

from contractor.building.choices import StructureState
from contractor.building.hosting import Hosted
from contractor.building.models import Structure
from contractor.building.selectors import complex_queryset
from contractor.configuration import merged_config
from plugins.libvirt.models import DEFAULT_URI, LibvirtComplex, LibvirtFoundation


def libvirt_complex_queryset():
    """Libvirt complexes with their member counts (as every complex) and `vm_count`, the VMs planned on each."""
    return complex_queryset(LibvirtComplex).annotate(vm_count=Count("vms", distinct=True))


def hosted_vms(*, foundation_ids=None, host_ids=None, complex_ids=None) -> list[Hosted]:
    """The libvirt VMs matching the filters, as contractor.building.hosting sees them: one query."""
    vms = LibvirtFoundation.objects.all()
    for field, values in (("pk", foundation_ids), ("host_id", host_ids), ("complex_id", complex_ids)):
        if values is not None:
            vms = vms.filter(**{f"{field}__in": values})
    rows = vms.order_by("pk").values_list("pk", "locator", "state", "complex_id", "host_id", "host__hostname")
    return [Hosted(*row[:5], host_name=row[5] or "") for row in rows]


def host_loads(complex_) -> list[tuple[Structure, int]]:
    """The complex's built hosts, each with the number of VMs Contractor placed on it, least loaded first."""
    hosts = Structure.objects.filter(complex_memberships__complex=complex_, state=StructureState.BUILT).annotate(
        vm_count=Count("libvirt_vms", filter=Q(libvirt_vms__host__isnull=False), distinct=True)
    )
    return [(host, host.vm_count) for host in hosts.order_by("vm_count", "hostname", "pk")]


def host_uri(host: Structure) -> str:
    """The host's libvirt URI: its `libvirt_uri` config value, else qemu:///system."""
    return str(merged_config(host, reveal_secrets=True).get("libvirt_uri") or DEFAULT_URI)
