"""App config for building."""

from django.apps import AppConfig


class BuildingConfig(AppConfig):
    name = "contractor.building"
    label = "building"
    verbose_name = "Building"
