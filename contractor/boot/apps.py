"""App config for the boot endpoints."""

from django.apps import AppConfig


class BootConfig(AppConfig):
    name = "contractor.boot"
    label = "boot"
    verbose_name = "Boot"
