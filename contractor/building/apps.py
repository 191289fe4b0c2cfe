"""App config for building."""

from django.apps import AppConfig


class BuildingConfig(AppConfig):
    name = "contractor.building"
    label = "building"
    verbose_name = "Building"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any model can be imported.
        from contractor.building.api.site_views import site_actions_add

        site_actions_add()
