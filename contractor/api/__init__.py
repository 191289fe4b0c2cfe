"""Shared pieces of the REST API: permissions, pagination, errors and the router."""
