"""The audit log's read-only API."""
