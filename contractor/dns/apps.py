"""App config for DNS."""

from django.apps import AppConfig


class DnsConfig(AppConfig):
    name = "contractor.dns"
    label = "dns"
    verbose_name = "DNS"
