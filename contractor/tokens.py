"""Tokens worked out from a row instead of stored: a keyed hash (HMAC-SHA256 under SECRET_KEY) of the row's id and
creation time. The boot endpoints' per-job tokens and the webhook acknowledgement tokens are such tokens; nothing
secret is kept in the database, and rotating SECRET_KEY voids every one (docs/operations.md)."""

from datetime import UTC

from django.utils.crypto import salted_hmac


def row_token(salt: str, row) -> str:
    """The hex digest keyed by SECRET_KEY and `salt` of `row`'s pk and `created` time (to the microsecond, UTC)."""
    created = row.created.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return salted_hmac(salt, f"{row.pk}:{created}", algorithm="sha256").hexdigest()
