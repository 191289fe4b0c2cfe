"""Admin of container complexes (with how many containers each holds), container foundations (their host, id and
ports read-only) and the published ports (read-only: Contractor allocates and releases them)."""

from django.contrib import admin

from contractor.building.admin import ComplexAdmin, FoundationTypeAdmin
from plugins.containers.models import ContainerComplex, ContainerFoundation, ContainerPort
from plugins.containers.selectors import container_complex_queryset


@admin.register(ContainerComplex)
class ContainerComplexAdmin(ComplexAdmin):
    list_display = (*ComplexAdmin.list_display, "max_containers_per_host", "container_count")

    def get_queryset(self, request):
        return container_complex_queryset()

    @admin.display(ordering="container_count", description="containers")
    def container_count(self, complex_):
        return complex_.container_count


class ContainerPortInline(admin.TabularInline):
    model = ContainerPort
    extra = 0
    can_delete = False
    fields = readonly_fields = ("container_port", "protocol", "host", "host_port")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ContainerFoundation)
class ContainerFoundationAdmin(FoundationTypeAdmin):
    type_fields = ("complex",)
    readonly_fields = (*FoundationTypeAdmin.readonly_fields, "host", "container_id", "token")
    list_display = (*FoundationTypeAdmin.list_display, "complex", "host")
    list_select_related = ("site", "blueprint", "complex", "host")
    search_fields = ("locator", "container_id")
    inlines = (ContainerPortInline,)


@admin.register(ContainerPort)
class ContainerPortAdmin(admin.ModelAdmin):
    list_display = ("host", "host_port", "foundation", "container_port", "protocol")
    list_select_related = ("host", "foundation")
    search_fields = ("foundation__locator", "host__hostname")
    readonly_fields = ("foundation", "host", "container_port", "protocol", "host_port")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
