"""Admin of libvirt complexes (with how many VMs each holds) and libvirt foundations (their host read-only)."""

from django.contrib import admin

from contractor.building.admin import ComplexAdmin, FoundationTypeAdmin
from plugins.libvirt.models import LibvirtComplex, LibvirtFoundation
from plugins.libvirt.selectors import libvirt_complex_queryset


@admin.register(LibvirtComplex)
class LibvirtComplexAdmin(ComplexAdmin):
    list_display = (*ComplexAdmin.list_display, "max_vms_per_host", "vm_count")

    def get_queryset(self, request):
        return libvirt_complex_queryset()

    @admin.display(ordering="vm_count", description="VMs")
    def vm_count(self, complex_):
        return complex_.vm_count


@admin.register(LibvirtFoundation)
class LibvirtFoundationAdmin(FoundationTypeAdmin):
    type_fields = ("complex",)
    readonly_fields = (*FoundationTypeAdmin.readonly_fields, "host", "libvirt_uuid")
    list_display = (*FoundationTypeAdmin.list_display, "complex", "host")
    list_select_related = ("site", "blueprint", "complex", "host")
    search_fields = ("locator", "libvirt_uuid")
