"""Admin for DNS zones."""

from django.contrib import admin

from contractor.dns.models import Zone, ZoneFile
from contractor.site.models import Site


class SiteInline(admin.TabularInline):
    """The sites pointing at a zone (read only: a site's zone is set on the site)."""

    model = Site
    fields = ["name", "description"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    """Zones with their timers, name servers, glue and extra records; the sites pointing at each inline."""

    list_display = ["name", "ttl", "description", "updated"]
    search_fields = ["name", "description"]
    readonly_fields = ["created", "updated"]
    inlines = [SiteInline]
    fieldsets = [
        (None, {"fields": ["name", "description", "contact"]}),
        ("SOA", {"fields": ["ttl", "refresh", "retry", "expire", "minimum"]}),
        ("Records", {"fields": ["name_servers", "glue", "extra_records"]}),
        ("History", {"fields": ["created", "updated"]}),
    ]


@admin.register(ZoneFile)
class ZoneFileAdmin(admin.ModelAdmin):
    """The serial of every generated zone file; read only, kept by the zone writer."""

    list_display = ["origin", "serial", "updated"]
    search_fields = ["origin"]
    readonly_fields = ["origin", "content_hash", "serial", "updated"]

    def has_add_permission(self, request):
        return False
