"""Site services and model validation: nesting, cycles, and deleting sites still in use."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contractor.site.models import Site
from contractor.site.services import site_create, site_delete, site_update
from tests.factories import SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_site_create_saves_a_nested_site():
    """A site is created under its parent with its config values."""
    root = site_create(name="root")
    child = site_create(name="east", parent=root, config_values={"dns": "10.0.0.1"})
    assert Site.objects.get(name="east").parent == root
    assert child.config_values == {"dns": "10.0.0.1"}


def test_site_create_refuses_a_bad_name():
    """The name must follow the name syntax; the error is on `name`."""
    with pytest.raises(ValidationError) as info:
        site_create(name="bad name")
    assert "name" in info.value.message_dict


def test_site_create_refuses_bad_config_keys():
    """Config keys are checked; the error is on `config_values`."""
    with pytest.raises(ValidationError) as info:
        site_create(name="x", config_values={"no spaces": 1})
    assert "config_values" in info.value.message_dict


def test_site_update_refuses_itself_as_parent():
    """A site cannot be its own parent."""
    site = SiteFactory(name="a")
    with pytest.raises(ValidationError) as info:
        site_update(site=site, parent=site)
    assert "own parent" in info.value.message_dict["parent"][0]


def test_site_update_refuses_a_cycle_naming_the_site_that_closes_it():
    """Making a descendant the parent is a cycle, and the error on `parent` names where it loops."""
    top = SiteFactory(name="top")
    middle = site_create(name="middle", parent=top)
    bottom = site_create(name="bottom", parent=middle)
    with pytest.raises(ValidationError) as info:
        site_update(site=top, parent=bottom)
    assert "cycle" in info.value.message_dict["parent"][0]
    top.refresh_from_db()
    assert top.parent is None


def test_site_update_rejects_unknown_fields():
    """Only the site's own writable fields can be updated."""
    with pytest.raises(TypeError):
        site_update(site=SiteFactory(), created=None)


def test_site_delete_removes_an_unused_site():
    """An unused site is deleted."""
    site_delete(site=SiteFactory(name="gone"))
    assert not Site.objects.filter(name="gone").exists()


def test_site_delete_refuses_a_site_in_use_and_names_the_user():
    """A site holding structures is kept, and the conflict names what uses it."""
    structure = StructureFactory(hostname="web1")
    with pytest.raises(IntegrityError) as info:
        site_delete(site=structure.site)
    assert "web1" in str(info.value)
    assert Site.objects.filter(pk=structure.site.pk).exists()


def test_site_delete_refuses_a_site_with_children():
    """A parent site cannot be deleted from under its children."""
    parent = SiteFactory(name="parent")
    site_create(name="kid", parent=parent)
    with pytest.raises(IntegrityError, match="kid"):
        site_delete(site=parent)
