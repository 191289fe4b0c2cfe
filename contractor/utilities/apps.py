"""App config for utilities."""

from django.apps import AppConfig


class UtilitiesConfig(AppConfig):
    name = "contractor.utilities"
    label = "utilities"
    verbose_name = "Networks and addresses"
