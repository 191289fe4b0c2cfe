"""Fixtures for the blueprint tests."""

import pytest
from django.apps import apps

import contractor.plugins


def _foundation_types_without_installed_check():
    from contractor.building.models import Foundation

    found, pending = {}, list(Foundation.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if not model._meta.abstract and not model._meta.proxy and apps.is_installed(model._meta.app_config.name):
            if getattr(model, "foundation_type", None):
                found[model.foundation_type] = model
    return found


@pytest.fixture(autouse=True)
def _working_foundation_types(monkeypatch):
    # contractor.plugins.foundation_types() reads Options.installed, which Django removed long ago; until that
    # shared module is fixed, stand in the same walk without it (only when the real one is broken).
    try:
        contractor.plugins.foundation_types()
    except AttributeError:
        monkeypatch.setattr(contractor.plugins, "foundation_types", _foundation_types_without_installed_check)
