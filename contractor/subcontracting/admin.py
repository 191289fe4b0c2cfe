"""Admin for subcontractors (with whether each is alive) and their tasks."""

import json

from django.contrib import admin
from django.utils.html import format_html

from contractor.configuration import redact
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.selectors import subcontractor_is_alive


@admin.register(Subcontractor)
class SubcontractorAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "site_names", "modules", "last_poll_at", "last_address", "alive")
    list_filter = ("sites",)
    search_fields = ("name", "user__username")
    filter_horizontal = ("sites",)
    readonly_fields = ("last_poll_at", "last_address", "created", "updated")
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("sites")

    @admin.display(description="sites")
    def site_names(self, obj):
        return ", ".join(site.name for site in obj.sites.all())

    @admin.display(boolean=True, description="alive")
    def alive(self, obj):
        return subcontractor_is_alive(obj)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "job", "site", "module", "function", "state", "attempts", "leased_by", "lease_expires")
    list_filter = ("state", "module", "site")
    search_fields = ("module", "function", "error", "cookie")
    list_select_related = ("job__foundation", "job__structure", "job__dependency", "site", "leased_by")
    # Parameters can carry BMC passwords: they are shown redacted, like in the job views.
    fields = readonly_fields = [
        "parameters_redacted" if field.name == "parameters" else field.name for field in Task._meta.fields
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="parameters")
    def parameters_redacted(self, task):
        return format_html("<pre>{}</pre>", json.dumps(redact(task.parameters), indent=2, sort_keys=True))
