"""Webhooks: events stored with the change that caused them, delivered signed and retried."""
