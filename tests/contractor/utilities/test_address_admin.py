"""The Address admin writes through the services: their dual-stack and primary-slot checks refuse on the form."""

import pytest
from django.urls import reverse

from contractor.utilities import services
from contractor.utilities.models import Address

pytestmark = pytest.mark.django_db


def form_data(block, structure, **fields):
    return {
        "address_block": block.pk,
        "offset": 10,
        "kind": "static",
        "structure": structure.pk,
        "interface_name": "eth0",
        "alias_index": "",
        "reason": "",
        "pxe": "",
        **fields,
    }


@pytest.fixture
def main_v4(block, structure):
    return services.address_allocate(
        address_block=block, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )


def test_a_second_ipv4_main_address_on_an_interface_is_refused(admin_client, block, structure, main_v4):
    """eth0 already has its IPv4 main address: adding another IPv4 main one is an error on alias_index."""
    response = admin_client.post(reverse("admin:utilities_address_add"), form_data(block, structure))
    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["adminform"].form.errors["alias_index"] == [
        f"eth0 of {structure} already has an IPv4 main address."
    ]
    assert list(Address.objects.filter(structure=structure)) == [main_v4]


def test_an_ipv6_main_address_beside_the_ipv4_one_is_saved(admin_client, make_block, structure, main_v4):
    """Dual stack: the same interface takes one IPv6 main address, allocated at the offset given."""
    v6 = make_block(subnet="2001:db8::", prefix=64, gateway=None)
    response = admin_client.post(reverse("admin:utilities_address_add"), form_data(v6, structure))
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Address.objects.get(address_block=v6)
    assert (added.ip_address, added.interface_name, added.structure) == ("2001:db8::a", "eth0", structure)


def test_a_second_primary_address_is_refused_on_is_primary(admin_client, block, structure, main_v4):
    """Making an alias primary while the structure has a primary address names `is_primary`, nothing changes."""
    alias = services.address_allocate(
        address_block=block, kind="static", structure=structure, interface_name="eth0", alias_index=1
    )
    url = reverse("admin:utilities_address_change", args=[alias.pk])
    data = form_data(block, structure, offset=alias.offset, alias_index=1, is_primary="on")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_primary"] == [f"{structure} already has a primary address."]
    alias.refresh_from_db()
    assert alias.is_primary is False
