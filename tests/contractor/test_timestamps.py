"""`contractor.db.Timestamped` is the one definition of the created/updated timestamps."""

import pytest
from django.apps import apps

from contractor.db import Timestamped
from contractor.site.services import site_create, site_update


def test_every_model_with_both_timestamps_takes_them_from_timestamped():
    """No model of Contractor or a plugin declares created and updated itself."""
    own = [
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith(("contractor.", "plugins."))
        and {"created", "updated"} <= {field.name for field in model._meta.get_fields()}
        and not issubclass(model, Timestamped)
    ]
    assert own == []


@pytest.mark.django_db
def test_created_stays_and_updated_moves_on_a_save():
    """A row keeps the time it was made; each save through a service moves its updated time on."""
    site = site_create(name="east")
    made, first = site.created, site.updated
    site_update(site=site, description="moved")
    site.refresh_from_db()
    assert site.created == made and site.updated > first
