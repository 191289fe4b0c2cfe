"""Admin of discovered machines: the list, and the operator's actions through the same services as the API: match
again, assign to a planned foundation, create a foundation, tell the machine to power off or reboot."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError

from contractor.blueprint.models import FoundationBluePrint
from contractor.building.choices import FoundationState
from contractor.building.models import Foundation
from contractor.discovery import services
from contractor.discovery.choices import DiscoveredAction
from contractor.discovery.models import DiscoveredMachine
from contractor.plugins import foundation_types
from contractor.site.models import Site


def _type_choices():
    return [(name, name) for name in sorted(foundation_types())]


class DiscoveredActionForm(ActionForm):
    """The fields the assign and create actions read, shown next to the action list."""

    foundation = forms.ModelChoiceField(
        queryset=Foundation.objects.filter(state=FoundationState.PLANNED).order_by("locator"),
        to_field_name="locator",
        required=False,
        help_text="Assign to: a planned foundation.",
    )
    locator = forms.CharField(max_length=100, required=False, help_text="Create: the new foundation's locator.")
    blueprint = forms.ModelChoiceField(
        queryset=FoundationBluePrint.objects.order_by("name"), to_field_name="name", required=False
    )
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("name"), to_field_name="name", required=False)
    foundation_type = forms.ChoiceField(choices=_type_choices, initial="manual", required=False)


@admin.register(DiscoveredMachine)
class DiscoveredMachineAdmin(admin.ModelAdmin):
    list_display = ["mac", "state", "action", "foundation", "matched_by", "site", "address", "reports"]
    list_filter = ["state", "site"]
    search_fields = ["mac", "address", "foundation__locator"]
    list_select_related = ["site", "subcontractor", "foundation"]
    readonly_fields = [f.name for f in DiscoveredMachine._meta.fields]
    action_form = DiscoveredActionForm
    actions = ["retry_match", "assign_to_foundation", "create_foundation", "power_off", "reboot"]

    def has_add_permission(self, request):
        return False  # machines add themselves by reporting

    def _each(self, request, queryset, change):
        """Run `change(machine)` for each selected machine, reporting each outcome or refusal."""
        for machine in queryset:
            try:
                machine = change(machine)
            except ValidationError as error:
                self.message_user(request, f"{machine}: {'; '.join(error.messages)}", messages.ERROR)
                continue
            done = f"{machine}: {machine.state}" + (f" to {machine.foundation}" if machine.foundation else "")
            self.message_user(request, f"{done}, told to {machine.action}. {machine.message}".strip())

    def _form(self, request, *required):
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid():
            self.message_user(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()), messages.ERROR)
            return None
        missing = [name for name in required if not form.cleaned_data.get(name)]
        if missing:
            self.message_user(request, f"This action needs {', '.join(missing)}.", messages.ERROR)
            return None
        return form.cleaned_data

    @admin.action(description="Match again (against planned foundations)", permissions=["change"])
    def retry_match(self, request, queryset):
        self._each(request, queryset, lambda machine: services.discovered_match(machine=machine))

    @admin.action(description="Assign to the planned foundation chosen below", permissions=["change"])
    def assign_to_foundation(self, request, queryset):
        data = self._form(request, "foundation")
        if data is None:
            return
        if queryset.count() != 1:
            self.message_user(request, "Assign one machine at a time.", messages.ERROR)
            return
        foundation = data["foundation"]
        self._each(
            request, queryset, lambda machine: services.discovered_assign(machine=machine, foundation=foundation)
        )

    @admin.action(description="Create a foundation (locator, blueprint, site, type below)", permissions=["change"])
    def create_foundation(self, request, queryset):
        data = self._form(request, "locator", "blueprint")
        if data is None:
            return
        if queryset.count() != 1:
            self.message_user(request, "Create a foundation for one machine at a time.", messages.ERROR)
            return

        def create(machine):
            return services.discovered_create_foundation(
                machine=machine,
                locator=data["locator"],
                blueprint=data["blueprint"],
                site=data["site"],
                foundation_type=data["foundation_type"] or "manual",
            )

        self._each(request, queryset, create)

    @admin.action(description="Tell to power off", permissions=["change"])
    def power_off(self, request, queryset):
        self._each(
            request, queryset, lambda m: services.discovered_instruct(machine=m, action=DiscoveredAction.POWEROFF)
        )

    @admin.action(description="Tell to reboot (into its build)", permissions=["change"])
    def reboot(self, request, queryset):
        self._each(request, queryset, lambda m: services.discovered_instruct(machine=m, action=DiscoveredAction.REBOOT))
