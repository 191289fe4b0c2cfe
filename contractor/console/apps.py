"""App config for the web console."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "contractor.console"
    label = "console"
    verbose_name = "Console"
