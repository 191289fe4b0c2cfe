"""App config for users."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # Lazy: services import models, which Django loads only after every app config (this module) is imported.
    from contractor.user.services import roles_sync

    roles_sync()


class UserConfig(AppConfig):
    name = "contractor.user"
    label = "user"
    verbose_name = "Users"

    def ready(self):
        # Runs after every app has migrated, so every model's permissions exist by then.
        post_migrate.connect(_sync_roles, dispatch_uid="contractor.user.roles")
