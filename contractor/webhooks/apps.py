"""App config for webhooks."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "contractor.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from contractor.events import event_recorder
        from contractor.webhooks.services import event_emit

        event_recorder.register(event_emit)
