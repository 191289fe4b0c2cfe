"""Fixtures for the DNS tests: a zone with a site, structures with addresses, and named-checkzone."""

import shutil
import subprocess

import pytest

from contractor.dns.models import Zone
from tests.factories import AddressBlockFactory, AddressFactory, SiteFactory, StructureFactory

CHECKZONE = shutil.which("named-checkzone")


class ZoneFactory:
    """Makes zones with sensible defaults (name servers inside the zone with explicit glue)."""

    @staticmethod
    def create(name="prod.example.com", **fields):
        fields.setdefault("name_servers", [f"ns1.{name}"])
        fields.setdefault("glue", {f"ns1.{name}": ["192.0.2.53"]})
        zone = Zone(name=name, **fields)
        zone.full_clean()
        zone.save()
        return zone


@pytest.fixture
def make_zone(db):
    return ZoneFactory.create


@pytest.fixture
def zone_site(make_zone):
    """A zone prod.example.com and a site 'prod' pointing at it."""
    zone = make_zone()
    return zone, SiteFactory(name="prod", zone=zone)


def add_address(structure, block, offset, interface="eth0", alias_index=None, is_primary=False):
    """A static address of `block` on `structure`'s interface."""
    return AddressFactory(
        address_block=block,
        offset=offset,
        kind="static",
        structure=structure,
        interface_name=interface,
        alias_index=alias_index,
        is_primary=is_primary,
    )


@pytest.fixture
def host_with_address():
    """Make a structure in `site` with one primary address on eth0 of `block` at `offset`."""

    def make(site, hostname, block, offset, locator=None):
        kwargs = {"foundation__locator": locator} if locator else {}
        structure = StructureFactory(site=site, hostname=hostname, **kwargs)
        add_address(structure, block, offset, is_primary=True)
        return structure

    return make


@pytest.fixture
def block_factory():
    return AddressBlockFactory


@pytest.fixture
def add_address_to():
    return add_address


@pytest.fixture
def checkzone(tmp_path):
    """Run named-checkzone on a zone's text; fail the test with its output unless the zone loads."""
    if CHECKZONE is None:
        pytest.skip("named-checkzone is not installed (Debian package bind9-utils)")

    def check(origin: str, text: str) -> str:
        path = tmp_path / f"{origin}.zone"
        path.write_text(text)
        done = subprocess.run([CHECKZONE, origin, str(path)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"named-checkzone {origin}:\n{done.stdout}{done.stderr}\n--- zone ---\n{text}"
        return done.stdout

    return check
