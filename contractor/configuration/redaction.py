"""The engine's redaction of secret config values: contractor/redaction.py, which sits below every app so that
the audit-log helpers (contractor/auditing.py) use the same rule without importing the engine."""

from contractor.redaction import REDACTED, SECRET_WORDS, is_secret_key, redact

__all__ = ["REDACTED", "SECRET_WORDS", "is_secret_key", "redact"]
