"""Reads of the libvirt plugin: the VMs as hosted foundations, the load of each host, a host's libvirt URI."""

from django.db.models import Count

from contractor.building.hosting import Hosted
from contractor.building.models import Structure
from contractor.building.placement import hosted_rows
from contractor.building.selectors import complex_queryset
from contractor.configuration import merged_config
from plugins.libvirt.models import DEFAULT_URI, LibvirtComplex, LibvirtFoundation


def libvirt_complex_queryset():
    """Libvirt complexes with their member counts (as every complex) and `vm_count`, the VMs planned on each."""
    return complex_queryset(LibvirtComplex).annotate(vm_count=Count("vms", distinct=True))


def hosted_vms(*, foundation_ids=None, host_ids=None, complex_ids=None) -> list[Hosted]:
    """The libvirt VMs matching the filters, as contractor.building.hosting sees them: one query."""
    return hosted_rows(LibvirtFoundation.objects.all(), foundation_ids=foundation_ids, host_ids=host_ids,
                       complex_ids=complex_ids)  # fmt: skip


def host_uri(host: Structure) -> str:
    """The host's libvirt URI: its `libvirt_uri` config value, else qemu:///system."""
    return str(merged_config(host, reveal_secrets=True).get("libvirt_uri") or DEFAULT_URI)
