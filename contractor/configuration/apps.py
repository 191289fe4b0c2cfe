"""App config for the configuration engine: it has no models; starting it registers the config checks that the
models' clean() calls, answers which keys are declared secret, and adds the `config/` action to the viewsets of the
objects it configures."""

from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "contractor.configuration"
    label = "configuration"
    verbose_name = "Configuration"

    def ready(self):
        # Imported here, not at the top: Django loads apps.py before any model can be imported.
        from contractor.configuration.api import config_actions_add
        from contractor.configuration.checks import config_values_check
        from contractor.configuration.secrets import declared_secret_keys_query, secret_keys_check
        from contractor.fields import config_checks
        from contractor.redaction import declared_secret_keys_hook

        config_checks.register(config_values_check)
        config_checks.register(secret_keys_check)
        declared_secret_keys_hook.register(declared_secret_keys_query)
        config_actions_add()
