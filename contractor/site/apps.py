"""App config for sites."""

from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "contractor.site"
    label = "site"
    verbose_name = "Sites"
