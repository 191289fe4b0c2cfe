"""Plugins shipped with Contractor."""
