"""The admin's History page of every audited object shows its audit log entries."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin

from contractor.audit.registry import audited_models


class AuditHistoryMixin(AuditlogHistoryAdminMixin):
    """History is the audit log (who, when, which fields from what to what), not Django's admin-only log."""

    auditlog_history_per_page = 25

    def history_view(self, request, object_id, extra_context=None):
        return self.auditlog_history_view(request, object_id, extra_context)


def install(site=admin.site) -> None:
    """Give every registered admin of an audited model the audit history; each app keeps its own ModelAdmin."""
    for models in audited_models().values():
        for model in models:
            model_admin = site._registry.get(model)
            if model_admin is None or isinstance(model_admin, AuditHistoryMixin):
                continue
            site.unregister(model)
            site.register(model, type(type(model_admin).__name__, (AuditHistoryMixin, type(model_admin)), {}))
