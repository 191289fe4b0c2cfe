"""API tokens are recorded as a change of their user: a token's primary key is its secret, so it is never logged."""

from django.db.models.signals import post_delete, post_save
from rest_framework.authtoken.models import Token

from contractor.auditing import record_change
from contractor.redaction import REDACTED


def token_saved(sender, instance, created, **kwargs):
    if created:
        record_change(instance.user, {"api_token": [None, REDACTED]})


def token_deleted(sender, instance, **kwargs):
    record_change(instance.user, {"api_token": [REDACTED, None]})


def connect() -> None:
    post_save.connect(token_saved, sender=Token, dispatch_uid="audit-token-saved")
    post_delete.connect(token_deleted, sender=Token, dispatch_uid="audit-token-deleted")
