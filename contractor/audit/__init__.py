"""The audit log: who changed which domain object, when, and how (django-auditlog underneath)."""
