"""Admin for sites."""

from django.contrib import admin

from contractor.redaction import SecretsRedactedAdmin
from contractor.site.models import Site


@admin.register(Site)
class SiteAdmin(SecretsRedactedAdmin, admin.ModelAdmin):
    """Sites with their parent; search by name or description, filter by parent."""

    list_display = ["name", "parent", "zone", "description", "updated"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter), ("zone", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent", "zone"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created", "updated"]
    fields = ["name", "description", "parent", "zone", "config_values", "created", "updated"]
