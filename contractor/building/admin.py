"""Admin of foundations (every type), structures, complexes and dependencies."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from contractor.building import services
from contractor.building.models import Complex, ComplexMember, Dependency, Foundation, Structure
from contractor.building.selectors import complex_queryset, complex_state
from contractor.redaction import SecretsRedactedAdmin

FOUNDATION_LIST = ("locator", "type", "site", "blueprint", "state", "located_at", "built_at")


def target_action(name: str, description: str, call, *, said=None):
    """An admin action running `call(target, user)` through the services on each selected row; refusals reported.

    `said(target, outcome)` is what the success message says (by default the target's new state).
    """

    def act(modeladmin, request, queryset):
        for target in queryset:
            try:
                outcome = call(target, request.user)
            except ValidationError as error:
                modeladmin.message_user(request, f"{target}: {'; '.join(error.messages)}", messages.ERROR)
                continue
            text = said(target, outcome) if said else f"{target}: {outcome.state}"
            modeladmin.message_user(request, text, messages.SUCCESS)

    act.__name__ = name
    return admin.action(description=description, permissions=["change"])(act)


FOUNDATION_ACTIONS = [
    target_action("foundation_locate", "Mark selected foundations located",
                  lambda foundation, user: services.foundation_locate(foundation=foundation)),
]  # fmt: skip
STRUCTURE_ACTIONS = []


def target_actions_add(*, foundation=(), structure=()) -> None:
    """Add admin actions of an app above building (the foreman's build and destroy jobs) to every foundation admin
    (each type's too) and to the structure admin. Called from that app's AppConfig.ready()."""
    FOUNDATION_ACTIONS.extend(act for act in foundation if act not in FOUNDATION_ACTIONS)
    STRUCTURE_ACTIONS.extend(act for act in structure if act not in STRUCTURE_ACTIONS)


@admin.register(Foundation)
class FoundationAdmin(SecretsRedactedAdmin, admin.ModelAdmin):
    """Every foundation of every type in one list; each one is edited in its own type's admin."""

    secret_json_fields = ("id_map",)

    list_display = FOUNDATION_LIST
    list_filter = ("type", "state", "site")
    list_select_related = ("site", "blueprint")
    search_fields = ("locator",)
    actions = FOUNDATION_ACTIONS

    def has_add_permission(self, request):
        return False  # a foundation is added through its type's admin

    def change_view(self, request, object_id, form_url="", extra_context=None):
        foundation = self.get_object(request, object_id)
        if foundation is not None:
            model = type(foundation.subclass)
            try:
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[foundation.pk])
            except NoReverseMatch:
                url = None
            if url and model is not Foundation:
                return HttpResponseRedirect(url)
        return super().change_view(request, object_id, form_url, extra_context)


class FoundationTypeAdmin(SecretsRedactedAdmin, admin.ModelAdmin):
    """Base admin for a plugin's foundation type: the base fields, then `type_fields`."""

    secret_json_fields = ("id_map",)

    type_fields: tuple[str, ...] = ()
    list_display = FOUNDATION_LIST
    list_filter = ("state", "site")
    list_select_related = ("site", "blueprint")
    search_fields = ("locator",)
    actions = FOUNDATION_ACTIONS
    readonly_fields = ("type", "state", "located_at", "built_at", "created", "updated")

    def get_fieldsets(self, request, obj=None):
        base = ("locator", "site", "blueprint", "class_list", "id_map")
        fieldsets = [(None, {"fields": base})]
        if self.type_fields:
            fieldsets.append((self.model._meta.verbose_name.capitalize(), {"fields": self.type_fields}))
        fieldsets.append(("State", {"fields": self.readonly_fields}))
        return fieldsets


@admin.register(Structure)
class StructureAdmin(SecretsRedactedAdmin, admin.ModelAdmin):
    list_display = ("hostname", "site", "blueprint", "foundation", "state", "built_at")
    list_filter = ("state", "site", "blueprint")
    list_select_related = ("site", "blueprint", "foundation")
    search_fields = ("hostname",)
    actions = STRUCTURE_ACTIONS
    readonly_fields = ("config_uuid", "state", "built_at", "created", "updated")
    autocomplete_fields = ("foundation",)


class ComplexMemberInline(admin.TabularInline):
    model = ComplexMember
    extra = 1
    autocomplete_fields = ("structure",)


@admin.register(Complex)
class ComplexAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "built_percentage", "member_count", "state")
    list_filter = ("site",)
    search_fields = ("name",)
    inlines = (ComplexMemberInline,)
    readonly_fields = ("state", "created", "updated")

    def get_queryset(self, request):
        return complex_queryset()

    @admin.display(ordering="member_count")
    def member_count(self, complex_):
        return complex_.member_count

    @admin.display(description="state")
    def state(self, complex_):
        if hasattr(complex_, "built_count"):
            return complex_state(
                built=complex_.built_count, total=complex_.member_count, built_percentage=complex_.built_percentage
            )
        return complex_.state


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "link", "state", "built_at")
    list_filter = ("state", "link")
    list_select_related = ("foundation", "structure", "dependency", "script_structure")
    readonly_fields = ("state", "built_at", "created", "updated")
    autocomplete_fields = ("structure", "foundation", "script_structure")
