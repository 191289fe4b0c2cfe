"""App config for webhooks."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "contractor.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any model can be imported.
        from contractor.events import event_recorder
        from contractor.webhooks.services import events_emit

        event_recorder.register(events_emit)
