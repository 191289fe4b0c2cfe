"""Admin pages of the utilities app load, search addresses by IP and show block usage without N+1 queries."""

import pytest
from django.urls import reverse

from contractor.utilities import services
from tests.factories import PXEFactory, StructureFactory

pytestmark = pytest.mark.django_db

MODELS = ["network", "addressblock", "address", "realnetworkinterface", "aggregatednetworkinterface"]


@pytest.fixture
def everything(block, structure, reserve):
    """One of each utilities model."""
    services.network_create(site=block.site, name="prod")
    reserve(block, 2)
    address = services.address_allocate(
        address_block=block, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    eth0 = services.interface_create(foundation=structure.foundation, name="eth0", pxe=PXEFactory())
    bond = services.aggregated_interface_create(structure=structure, name="bond0", primary=eth0, members=[eth0])
    return {"addressblock": block, "address": address, "realnetworkinterface": eth0, "aggregatednetworkinterface": bond}


@pytest.mark.parametrize("model", MODELS)
def test_changelist_add_and_change_pages_load(admin_client, everything, model):
    """Each model's list, add and change pages render for a superuser."""
    assert admin_client.get(reverse(f"admin:utilities_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:utilities_{model}_add")).status_code == 200
    instance = everything.get(model) or everything["addressblock"].site.networks.get()
    assert admin_client.get(reverse(f"admin:utilities_{model}_change", args=[instance.pk])).status_code == 200


def test_block_list_shows_usage(admin_client, everything):
    """The address block list shows the percent of usable addresses in use."""
    page = admin_client.get(reverse("admin:utilities_addressblock_changelist")).content.decode()
    assert "1.19% (3)" in page  # 3 of 253


def test_address_search_by_exact_ip(admin_client, everything):
    """Searching the address list for an IP finds exactly that address."""
    response = admin_client.get(reverse("admin:utilities_address_changelist"), {"q": "10.0.0.3"})
    assert response.context["cl"].result_count == 1
    assert response.context["cl"].result_list[0].ip_address == "10.0.0.3"
    response = admin_client.get(reverse("admin:utilities_address_changelist"), {"q": "eth0"})
    assert response.context["cl"].result_count == 1


def test_block_list_queries_do_not_grow(admin_client, make_block, reserve, django_assert_max_num_queries):
    """The block list (with its usage column) costs the same for 2 blocks as for 12."""
    for start, count in ((0, 2), (2, 10)):
        for index in range(start, start + count):
            reserve(make_block(subnet=f"10.{index}.0.0/24", gateway=None), 2)
        with django_assert_max_num_queries(12):
            response = admin_client.get(reverse("admin:utilities_addressblock_changelist"))
        assert response.context["cl"].result_count == start + count


def test_address_list_queries_do_not_grow(admin_client, block, django_assert_max_num_queries):
    """The address list (IP, block, structure) costs the same for 2 addresses as for 12."""
    for count in (2, 10):
        for _ in range(count):
            structure = StructureFactory(site=block.site)
            services.address_allocate(address_block=block, kind="static", structure=structure, interface_name="e0")
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse("admin:utilities_address_changelist")).status_code == 200
