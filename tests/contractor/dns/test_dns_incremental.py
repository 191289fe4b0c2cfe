"""The incremental zone state: after random committed changes, fed the notices PostgreSQL's triggers sent, it
renders exactly what a full recompute from the database renders."""

import random
import select

import pytest
from django.db import connection

from contractor.building.models import Structure
from contractor.dns.follow import CHANNEL, parse
from contractor.dns.state import ZoneState
from contractor.utilities.models import Address, AddressBlock
from tests.contractor.dns.conftest import ZoneFactory, add_address
from tests.factories import AddressBlockFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Notices:
    """A second connection LISTENing on the follower's channel, read up to a marker this test sends."""

    def __init__(self, conn):
        self.conn = conn  # the second_connection fixture's: autocommit, closed after the test
        self.conn.cursor().execute(f"LISTEN {CHANNEL}")
        self.marks = 0

    def take(self) -> dict[str, set[int]]:
        """Every notice committed so far (notices arrive in commit order, so the marker comes last)."""
        self.marks += 1
        mark = f"mark:{self.marks}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, mark])
        payloads = []
        while mark not in payloads:
            select.select([self.conn], [], [], 5)
            self.conn.poll()
            payloads += [notice.payload for notice in self.conn.notifies]
            self.conn.notifies.clear()
        return parse(payload for payload in payloads if not payload.startswith("mark:"))


def build():
    """Two zones, a site tree (one sub-site with its own zone, one site under no zone), blocks and hosts."""
    zones = [ZoneFactory.create("a.example.com"), ZoneFactory.create("b.example.com")]
    root = SiteFactory(name="root", zone=zones[0])
    sites = [root, SiteFactory(name="child", parent=root), SiteFactory(name="sub", parent=root, zone=zones[1])]
    sites.append(SiteFactory(name="loose"))
    blocks = []
    for index, site in enumerate(sites):
        blocks.append(AddressBlockFactory(site=site, subnet=f"10.{index}.0.0", prefix=23))
        blocks.append(
            AddressBlockFactory(site=site, subnet=f"10.{index}.8.64", prefix=26, classless_reverse=index % 2 == 0)
        )
        blocks.append(AddressBlockFactory(site=site, subnet=f"2001:db8:{index}::", prefix=64, vlan=index * 10))
    return zones, sites, blocks


class Changes:
    """Random committed changes of everything a zone file is made of."""

    def __init__(self, rng: random.Random, zones, sites, blocks):
        self.rng, self.zones, self.sites, self.blocks = rng, zones, sites, blocks
        self.serial = 0

    def free_offset(self, block: AddressBlock) -> int:
        taken = set(Address.objects.filter(address_block=block).values_list("offset", flat=True))
        return self.rng.choice([offset for offset in range(2, 62) if offset not in taken])

    def _structure(self) -> Structure | None:
        return Structure.objects.order_by("?").first()

    def create_host(self):
        self.serial += 1
        site = self.rng.choice(self.sites)
        structure = StructureFactory(site=site, hostname=f"h{self.serial}")
        block = self.rng.choice([block for block in self.blocks if block.site_id == site.pk])
        add_address(structure, block, self.free_offset(block), is_primary=self.rng.random() < 0.8)
        if self.rng.random() < 0.5:
            add_address(structure, block, self.free_offset(block), alias_index=1)

    def add_address(self):
        if structure := self._structure():
            block = self.rng.choice(self.blocks)
            add_address(structure, block, self.free_offset(block), interface=f"eth{self.rng.randint(1, 999)}")

    def move_address(self):
        if address := Address.objects.order_by("?").first():
            address.address_block = block = self.rng.choice(self.blocks)
            address.offset = self.free_offset(block)
            address.save()

    def delete_address(self):
        if address := Address.objects.order_by("?").first():
            address.delete()

    def rename_host(self):
        if structure := self._structure():
            self.serial += 1
            structure.hostname = f"r{self.serial}"
            structure.save()

    def move_host(self):
        if structure := self._structure():
            structure.site = self.rng.choice(self.sites)
            structure.save()

    def delete_host(self):
        if structure := self._structure():
            foundation = structure.foundation
            structure.delete()
            foundation.delete()

    def relocate(self):
        if structure := self._structure():
            self.serial += 1
            foundation = structure.foundation
            foundation.locator = f"loc-{self.serial}"
            foundation.save()

    def change_zone(self):
        zone = self.rng.choice(self.zones)
        zone.refresh_from_db()
        choice = self.rng.randint(0, 2)
        if choice == 0:
            zone.ttl = self.rng.randint(60, 9000)
        elif choice == 1:
            zone.name_servers = [f"ns1.{zone.name}", "ns.example.net"][: self.rng.randint(1, 2)]
        else:
            zone.extra_records = [{"type": "TXT", "name": "@", "value": f"v{self.rng.randint(0, 99)}"}]
        zone.save()

    def point_site(self):
        site = self.rng.choice(self.sites[1:])
        site.zone = self.rng.choice([*self.zones, None])
        site.save()

    def move_site(self):
        site = self.sites[3]
        site.parent = self.rng.choice([None, self.sites[0], self.sites[2]])
        site.save()

    def change_block(self):
        block = self.rng.choice(self.blocks)
        block.vlan = self.rng.randint(0, 30)
        block.save()

    def toggle_classless(self):
        block = self.rng.choice([block for block in self.blocks if block.prefix == 26])
        block.classless_reverse = not block.classless_reverse
        block.save()

    def all(self):
        return [getattr(self, name) for name in type(self).__dict__ if not name.startswith(("_", "free_", "all"))]


def test_incremental_state_matches_a_full_recompute_after_random_changes(second_connection):
    """200 random changes, each applied from its notices alone: the texts equal a fresh full load's every time."""
    rng = random.Random(13)
    zones, sites, blocks = build()
    changes = Changes(rng, zones, sites, blocks)
    for _ in range(12):
        changes.create_host()
    notices = Notices(second_connection)
    state = ZoneState.load()
    state.take_dirty()
    before = {origin: text.text(1) for origin, text in state.texts().items()}
    operations = changes.all()
    done = set()
    for step in range(200):
        operation = rng.choice(operations)
        operation()
        done.add(operation.__name__)
        state.apply(notices.take())
        expected = {origin: text.text(1) for origin, text in ZoneState.load().texts().items()}
        got = {origin: text.text(1) for origin, text in state.texts().items()}
        assert sorted(got) == sorted(expected), f"step {step} ({operation.__name__})"
        for origin, text in expected.items():
            assert got[origin] == text, f"step {step} ({operation.__name__}): {origin}"
        changed = {origin for origin in expected.keys() | before.keys() if expected.get(origin) != before.get(origin)}
        assert changed <= state.take_dirty(), f"step {step} ({operation.__name__}): not marked for writing"
        before = expected
    assert done == {operation.__name__ for operation in operations}


def test_unrelated_column_changes_send_no_notice(second_connection):
    """A structure's state or a block's name changing touches no zone: the triggers stay quiet."""
    zones, sites, blocks = build()
    structure = StructureFactory(site=sites[0], hostname="quiet")
    notices = Notices(second_connection)
    notices.take()
    structure.state = "built"
    structure.save()
    blocks[0].name = "renamed"
    blocks[0].save()
    assert notices.take() == {}
    structure.hostname = "loud"
    structure.save()
    assert notices.take() == {"structure": {structure.pk}}
