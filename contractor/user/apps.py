"""App config for users."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # post_migrate is sent once for each app with models, after all of them have migrated, and each app's permissions
    # are made at its own signal; the roles take permissions of every app, so they are synced once, at the last app's
    # signal (at every app's, a flush or migrate synced them 23 times: about a second).
    if sender is not [config for config in apps.get_app_configs() if config.models_module is not None][-1]:
        return
    # Lazy: services import models, which Django loads only after every app config (this module) is imported.
    from contractor.user.services import roles_sync

    roles_sync()


class UserConfig(AppConfig):
    name = "contractor.user"
    label = "user"
    verbose_name = "Users"

    def ready(self):
        # Connected after django.contrib.auth's own receiver (its app is listed first), which makes each app's
        # permissions at that app's signal, so every model's permissions exist when the last app's signal comes.
        post_migrate.connect(_sync_roles, dispatch_uid="contractor.user.roles")
