"""App config for discovery."""

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "contractor.discovery"
    label = "discovery"
    verbose_name = "Discovery"
