"""App config for the subcontractor protocol."""

from django.apps import AppConfig


class SubcontractingConfig(AppConfig):
    name = "contractor.subcontracting"
    label = "subcontracting"
    verbose_name = "Subcontracting"
