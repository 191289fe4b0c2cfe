"""Deleting an object still in use answers 409 with a sentence naming what uses it, never a Python repr."""

import pytest

from tests.factories import AddressBlockFactory, AddressFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_use():
    """A structure web1 on foundation node-x in site lab, and a block of lab holding one reserved address."""
    structure = StructureFactory(hostname="web1", foundation__locator="node-x", site__name="lab")
    block = AddressBlockFactory(site=structure.site, name="mgmt", subnet="10.0.0.0", prefix=24)
    AddressFactory(address_block=block, offset=5, kind="reserved")
    return structure, block


def _sentence(response) -> str:
    assert response.status_code == 409, response.content
    (message,) = response.json()["non_field_errors"]
    for repr_mark in ("<", "{", "Cannot delete some instances", "protected foreign keys"):
        assert repr_mark not in message, message
    assert message.endswith("so it cannot be deleted."), message
    return message


@pytest.mark.parametrize(
    ("url", "named", "holder"),
    [
        (lambda s, b: f"/api/v1/foundations/{s.foundation.locator}/", "node-x", "structure web1"),
        (lambda s, b: f"/api/v1/sites/{s.site.name}/", "site lab", "structure web1"),
        (lambda s, b: f"/api/v1/foundation-blueprints/{s.foundation.blueprint.name}/", "node-x", "foundation node-x"),
        (lambda s, b: f"/api/v1/structure-blueprints/{s.blueprint.name}/", "structure blueprint", "structure web1"),
        (lambda s, b: f"/api/v1/address-blocks/{b.pk}/", "address block mgmt", "address 10.0.0.5"),
    ],
)
def test_delete_in_use_is_a_409_sentence(in_use, admin_client_api, url, named, holder):
    """Foundation with a structure, site with structures, blueprints with users, block with addresses: 409."""
    message = _sentence(admin_client_api.delete(url(*in_use)))
    assert holder in message
    if named != "node-x":
        assert message.startswith(named) or named in message


def test_admin_delete_of_an_object_in_use_lists_what_uses_it(in_use, client, make_user):
    """The admin's delete page of a site or block in use says what protects it instead of failing."""
    structure, block = in_use
    client.force_login(make_user("root-admin", superuser=True))
    for url in (f"/admin/site/site/{structure.site.pk}/delete/", f"/admin/utilities/addressblock/{block.pk}/delete/"):
        response = client.post(url, {"post": "yes"})
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "protected" in page and ("web1" in page or "10.0.0.5" in page), url
