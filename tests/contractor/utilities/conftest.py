"""Fixtures for the utilities tests: a site, blocks made through the services, and a structure."""

import pytest

from contractor.utilities import services
from tests.factories import SiteFactory, StructureFactory


@pytest.fixture
def site(db):
    return SiteFactory(name="lab")


@pytest.fixture
def make_block(site):
    """Create an address block through address_block_create (defaults: 10.0.0.0/24 with gateway 10.0.0.1)."""
    counter = iter(range(1000))

    def make(subnet="10.0.0.0/24", gateway="10.0.0.1", **fields):
        fields.setdefault("site", site)
        fields.setdefault("name", f"block-{next(counter)}")
        return services.address_block_create(subnet=subnet, gateway=gateway, **fields)

    return make


@pytest.fixture
def block(make_block):
    return make_block()


@pytest.fixture
def structure(site):
    return StructureFactory(site=site)


@pytest.fixture
def reserve():
    """Allocate `count` reserved addresses from a block (lowest free first, or from offset `start` on)."""

    def allocate(block, count, start=None):
        return [
            services.address_allocate(
                address_block=block, kind="reserved", offset=None if start is None else start + index
            )
            for index in range(count)
        ]

    return allocate
