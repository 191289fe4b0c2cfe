"""Admin for blueprints (with their parents and scripts inline) and PXEs."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorList
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.models import PXE, BluePrint, BluePrintParent, FoundationBluePrint, Script, StructureBluePrint
from contractor.blueprint.scripting import script_warnings
from contractor.blueprint.selectors import (
    FoundationTypes,
    foundation_blueprint_list,
    foundation_types_read_once,
    structure_blueprint_list,
)
from contractor.blueprint.services import blueprint_parents_validate
from contractor.redaction import SecretsRedactedAdmin

MONOSPACE = {"style": "font-family: monospace; width: 60em;", "rows": 12, "spellcheck": "false"}
# Scripts keep their exact text (trailing newline included) so exports round-trip.
CODE_FIELD = {models.TextField: {"widget": forms.Textarea(attrs=MONOSPACE), "strip": False}}


class CodeErrorList(ErrorList):
    """Errors shown preformatted: a TScript error's source line and caret keep their spacing (HTML would fold it)."""

    def as_ul(self):
        if not self.data:
            return ""
        items = format_html_join("", '<li><pre class="code-error">{}</pre></li>', ((error,) for error in self))
        return format_html('<ul class="{}">{}</ul>', self.error_class, items)

    def __str__(self):
        return self.as_ul()


class ScriptForm(forms.ModelForm):
    """A script's form, whose errors (the TScript checker's) are shown preformatted."""

    def __init__(self, *args, **kwargs):
        kwargs["error_class"] = CodeErrorList  # an inline formset passes its own (the default) to every form
        super().__init__(*args, **kwargs)


class ScriptInline(admin.StackedInline):
    """A blueprint's own scripts; saving runs the TScript checker, whose errors show on the script field."""

    model = Script
    form = ScriptForm
    extra = 0
    fields = ["name", "description", "script", "warnings"]
    readonly_fields = ["warnings"]
    formfield_overrides = CODE_FIELD

    @admin.display(description="Warnings")
    def warnings(self, obj):
        """Calls that would fail as not defined when a job runs the saved script; they do not block a save."""
        found = script_warnings(obj.script, obj.blueprint.subclass) if obj and obj.pk else []
        return (
            format_html_join(
                mark_safe("<br>"), "line {}, column {}: {}", ((w["line"], w["column"], w["message"]) for w in found)
            )
            or "none"
        )


class ParentFormSet(forms.BaseInlineFormSet):
    """Checks the parents together: the same kind as the blueprint, and no cycle."""

    kind: str

    def clean(self):
        super().clean()
        parents = [
            form.cleaned_data["parent"]
            for form in self.forms
            if form.cleaned_data.get("parent") and not form.cleaned_data.get("DELETE")
        ]
        try:
            blueprint_parents_validate(blueprint=self.instance, kind=self.kind, parents=parents)
        except ValidationError as error:
            raise ValidationError(error.message_dict["parents"]) from error


class ParentInline(admin.TabularInline):
    """Ordered parents: lower positions are inherited first."""

    model = BluePrintParent
    fk_name = "child"
    extra = 0
    fields = ["parent", "position"]
    ordering = ["position"]
    kind: str

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(
            request, obj, formset=type("KindParentFormSet", (ParentFormSet,), {"kind": self.kind})
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = BluePrint.objects.filter(kind=self.kind)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FoundationParentInline(ParentInline):
    kind = BluePrintKind.FOUNDATION


class StructureParentInline(ParentInline):
    kind = BluePrintKind.STRUCTURE


class BluePrintAdmin(SecretsRedactedAdmin, admin.ModelAdmin):
    """What both blueprint admins share."""

    search_fields = ["name", "description", "scripts__name"]
    readonly_fields = ["created", "updated"]
    list_filter = ["updated"]

    def save_related(self, request, form, formsets, change):
        """After the scripts are saved, say what the checker warns about in them (the save is not refused)."""
        super().save_related(request, form, formsets, change)
        blueprint = form.instance
        with foundation_types_read_once(FoundationTypes()):
            for script in blueprint.scripts.order_by("name"):
                for warning in script_warnings(script.script, blueprint):
                    where = f"line {warning['line']}, column {warning['column']}"
                    text = f"Script '{script.name}', {where}: {warning['message']}"
                    self.message_user(request, text, messages.WARNING)

    @admin.display(description="parents")
    def parent_names(self, obj):
        return ", ".join(edge.parent.name for edge in sorted(obj.parent_edges.all(), key=lambda edge: edge.position))

    @admin.display(description="scripts")
    def script_list(self, obj):
        return ", ".join(script.name for script in obj.scripts.all())


@admin.register(FoundationBluePrint)
class FoundationBluePrintAdmin(BluePrintAdmin):
    """Foundation blueprints: types, hardware fingerprint, parents and scripts."""

    list_display = ["name", "parent_names", "types", "script_list", "updated"]
    fields = ["name", "description", "foundation_types", "hardware_requirements", "config_values", "created", "updated"]
    inlines = [FoundationParentInline, ScriptInline]

    def get_queryset(self, request):
        return foundation_blueprint_list()

    @admin.display(description="foundation types")
    def types(self, obj):
        return ", ".join(map(str, obj.foundation_types))


@admin.register(StructureBluePrint)
class StructureBluePrintAdmin(BluePrintAdmin):
    """Structure blueprints: the foundation blueprints they sit on, parents and scripts."""

    list_display = ["name", "parent_names", "foundation_blueprints", "script_list", "updated"]
    list_filter = [("foundation_blueprint_list", admin.RelatedOnlyFieldListFilter), "updated"]
    fields = ["name", "description", "foundation_blueprint_list", "config_values", "created", "updated"]
    filter_horizontal = ["foundation_blueprint_list"]
    inlines = [StructureParentInline, ScriptInline]

    def get_queryset(self, request):
        return structure_blueprint_list()

    @admin.display(description="foundation blueprints")
    def foundation_blueprints(self, obj):
        return ", ".join(blueprint.name for blueprint in obj.foundation_blueprint_list.all())


@admin.register(PXE)
class PXEAdmin(admin.ModelAdmin):
    """PXE boot targets, their iPXE script and installer template in monospace."""

    list_display = ["name", "description", "updated"]
    search_fields = ["name", "description", "boot_script", "template"]
    list_filter = ["updated"]
    readonly_fields = ["created", "updated"]
    fields = ["name", "description", "boot_script", "template", "created", "updated"]
    formfield_overrides = CODE_FIELD
