"""App config for DNS."""

from django.apps import AppConfig


class DnsConfig(AppConfig):
    name = "contractor.dns"
    label = "dns"
    verbose_name = "DNS"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any model can be imported.
        from contractor.dns.checks import site_zone_check
        from contractor.site.hooks import site_placement_checks

        site_placement_checks.register(site_zone_check)
