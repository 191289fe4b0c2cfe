"""The audit app: registers every domain model with django-auditlog and shows its entries in the admin's History."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "contractor.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        # Lazy, as in every ready(): these import models, loaded only after the app configs.
        from auditlog.models import LogEntry
        from django.db.models.signals import pre_save

        from contractor.audit import admin_history, receivers
        from contractor.audit.context import stamp_source
        from contractor.audit.registry import register_all

        register_all()
        receivers.connect()
        pre_save.connect(stamp_source, sender=LogEntry, dispatch_uid="audit-stamp-source")
        admin_history.install()
