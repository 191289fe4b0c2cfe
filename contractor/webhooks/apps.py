"""App config for webhooks."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "contractor.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
