"""App config for blueprints."""

from django.apps import AppConfig


class BlueprintConfig(AppConfig):
    name = "contractor.blueprint"
    label = "blueprint"
    verbose_name = "BluePrints"
