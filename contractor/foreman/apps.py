"""App config for the foreman."""

from django.apps import AppConfig


class ForemanConfig(AppConfig):
    name = "contractor.foreman"
    label = "foreman"
    verbose_name = "Foreman"
