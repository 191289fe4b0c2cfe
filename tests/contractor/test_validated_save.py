"""`contractor.db.validated_save`: the one full_clean-then-save of the services, and its check order."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from contractor.db import validated_save
from contractor.site.services import site_create
from contractor.utilities.models import Network

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def refuse(field):
    def check(instance):
        raise ValidationError({field: "refused by the check"})

    return check


def test_a_valid_row_is_saved_and_returned():
    """A row that passes every check is saved, and the same instance comes back."""
    network = Network(site=site_create(name="east"), name="lan")
    assert validated_save(network) is network and network.pk is not None


def test_field_errors_come_before_the_checks():
    """A field that fails its own validation is reported without running the checks; nothing is saved."""
    network = Network(site=site_create(name="east"), name="no good")
    with pytest.raises(ValidationError) as info:
        validated_save(network, refuse("mtu"))
    assert set(info.value.message_dict) == {"name"}
    assert not Network.objects.exists()


def test_checks_come_before_the_constraints_they_stand_for():
    """A check's field-named message wins over a constraint's generic one, and excluded constraints stay quiet."""
    site = site_create(name="east")
    validated_save(Network(site=site, name="lan"))
    with pytest.raises(ValidationError) as info:
        validated_save(Network(site=site, name="lan"), refuse("name"))
    assert info.value.message_dict == {"name": ["refused by the check"]}
    with pytest.raises(ValidationError) as info:
        validated_save(Network(site=site, name="lan"))
    assert "__all__" in info.value.message_dict  # the constraint's own message, with no check in front of it
    assert Network.objects.count() == 1


def test_no_service_cleans_and_saves_by_hand():
    """full_clean() is called in one place, so every service validates the same way."""
    callers = [
        str(path.relative_to(ROOT))
        for folder in ("contractor", "plugins")
        for path in (ROOT / folder).rglob("*.py")
        if ".full_clean(" in path.read_text(encoding="utf-8") and path.name != "db.py"
    ]
    assert callers == []
