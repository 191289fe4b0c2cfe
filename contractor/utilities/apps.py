"""App config for utilities."""

from django.apps import AppConfig


class UtilitiesConfig(AppConfig):
    name = "contractor.utilities"
    label = "utilities"
    verbose_name = "Networks and addresses"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any model can be imported.
        from contractor.site.hooks import site_placement_checks
        from contractor.utilities.checks import site_blocks_check

        site_placement_checks.register(site_blocks_check)
