"""Admin of manual foundations."""

from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from plugins.manual.models import ManualFoundation


@admin.register(ManualFoundation)
class ManualFoundationAdmin(FoundationTypeAdmin):
    type_fields = ("location_notes",)
    search_fields = ("locator", "location_notes")
