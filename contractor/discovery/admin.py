"""Admin of discovered machines: the list, and the operator's two actions (assign, create a foundation)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from contractor.discovery import services
from contractor.discovery.models import DiscoveredMachine


@admin.register(DiscoveredMachine)
class DiscoveredMachineAdmin(admin.ModelAdmin):
    list_display = ["mac", "state", "foundation", "matched_by", "site", "address", "reports", "last_report_at"]
    list_filter = ["state", "site"]
    search_fields = ["mac", "address", "foundation__locator"]
    list_select_related = ["site", "subcontractor", "foundation"]
    readonly_fields = [f.name for f in DiscoveredMachine._meta.fields]
    actions = ["retry_match"]

    def has_add_permission(self, request):
        return False  # machines add themselves by reporting

    @admin.action(description="Match again (against planned foundations)", permissions=["change"])
    def retry_match(self, request, queryset):
        for machine in queryset:
            try:
                machine = services.discovered_match(machine=machine)
            except ValidationError as error:
                self.message_user(request, f"{machine}: {'; '.join(error.messages)}", messages.ERROR)
                continue
            self.message_user(request, f"{machine}: {machine.state} {machine.message}".strip())
