"""Audit-log helpers any app may use: record a change django-auditlog's signals cannot see, and hide secrets in it."""

import ast
import functools

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry

from contractor.redaction import REDACTED, declared_secret_keys, redact

__all__ = ["disable_auditlog", "mask", "operator_action", "record_change"]


def record_change(instance, changes: dict, *, operator_action: str | None = None) -> LogEntry:
    """An update entry for `instance` with `changes` ({field: [before, after]}), by whoever is acting now.

    For what bypasses model signals (bulk writes of parents and members) and for operator actions on jobs.
    """
    extra = {"operator_action": operator_action} if operator_action else None
    return LogEntry.objects.log_create(
        instance, action=LogEntry.Action.UPDATE, changes=changes, additional_data=extra, force_log=True
    )


def mask(value: str):
    """django-auditlog's mask for secret fields and config values: config keeps its shape with secrets redacted.

    auditlog hands over the field's value as text (a dict's Python repr); a password, token or any text is hidden,
    but not whether there was one (a value that was unset stays None or empty).
    """
    if value in ("None", ""):
        return None if value == "None" else ""
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return REDACTED
    return redact(parsed, declared_secret_keys()) if isinstance(parsed, dict | list) else REDACTED


def operator_action(name: str):
    """Record every call of a job service `(*, job, ...)` as the operator action `name`, with the state it changed."""

    def decorate(service):
        @functools.wraps(service)
        def run(*, job, **kwargs):
            before = type(job).objects.filter(pk=job.pk).values_list("state", flat=True).first()
            result = service(job=job, **kwargs)
            record_change(result, {"state": [before, result.state]}, operator_action=name)
            return result

        return run

    return decorate
