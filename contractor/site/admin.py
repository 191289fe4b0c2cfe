"""Admin for sites."""

from django.contrib import admin

from contractor.site.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """Sites with their parent; search by name or description, filter by parent."""

    list_display = ["name", "parent", "description", "updated"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created", "updated"]
    fields = ["name", "description", "parent", "config_values", "created", "updated"]
