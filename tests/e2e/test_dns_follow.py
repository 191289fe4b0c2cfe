"""`manage.py dns_zones --follow` as a real process: it rewrites the zones a committed change touches (and no
others) with a higher serial, and keeps following after its database connection is cut."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from contractor.dns.follow import APPLICATION_NAME
from tests.contractor.dns.conftest import ZoneFactory, add_address
from tests.e2e.conftest import wait_until
from tests.factories import AddressBlockFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def serial_of(path: Path) -> int | None:
    match = re.search(r"SOA \S+ \S+ \( (\d+) ", path.read_text()) if path.exists() else None
    return int(match.group(1)) if match else None


def holds(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text()


@pytest.fixture
def follower(processes, tmp_path):
    """Two zones with a site and a block each, and the follower writing to tmp_path/zones."""
    zone = ZoneFactory.create("prod.example.com")
    ZoneFactory.create("other.example.com")
    site = SiteFactory(name="prod", zone=zone)
    block = AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24)
    output = tmp_path / "zones"
    command = [sys.executable, "manage.py", "dns_zones", "--follow", "--output", str(output), "--poll", "0.2"]
    processes.start("dns", command)
    assert wait_until(lambda: (output / "zones.conf").exists(), 60), processes.logs()
    return output, site, block


def test_a_new_host_is_written_and_only_its_zones_change(follower, processes):
    """A structure with an address appears in its forward and reverse zone with higher serials; the other
    zone's file is not rewritten; deleting the structure takes its records out again."""
    output, site, block = follower
    forward, reverse = output / "prod.example.com.zone", output / "2.1.10.in-addr.arpa.zone"
    other = output / "other.example.com.zone"
    assert wait_until(lambda: reverse.exists() and other.exists(), 30), processes.logs()
    serials, other_mtime = (serial_of(forward), serial_of(reverse)), other.stat().st_mtime_ns
    structure = StructureFactory(site=site, hostname="web1")
    add_address(structure, block, 10, is_primary=True)
    assert wait_until(lambda: holds(reverse, "10 IN PTR eth0.web1.prod.example.com."), 30), processes.logs()
    assert wait_until(lambda: holds(forward, "eth0.web1 IN A 10.1.2.10"), 30), processes.logs()
    assert serial_of(forward) > serials[0] and serial_of(reverse) > serials[1]
    assert other.stat().st_mtime_ns == other_mtime
    assert re.search(r"wrote .*prod\.example\.com \(\d+\)", processes.logs())
    foundation = structure.foundation
    structure.delete()
    foundation.delete()
    assert wait_until(lambda: not holds(forward, "web1") and not holds(reverse, "PTR"), 30), processes.logs()


def test_it_follows_on_after_its_connection_is_cut(follower, processes, on_postgres):
    """The follower's PostgreSQL session is terminated: it reconnects (logging it) and writes later changes."""
    output, site, block = follower
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s",
            [APPLICATION_NAME],
        )
        assert cursor.fetchall() == [(True,)]
    structure = StructureFactory(site=site, hostname="after")
    add_address(structure, block, 20, is_primary=True)
    forward = output / "prod.example.com.zone"
    assert wait_until(lambda: holds(forward, "eth0.after IN A 10.1.2.20"), 60), processes.logs()
    assert "database unreachable" in processes.logs()


SQLITE_CHANGE = """
from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.building.models import Foundation, Structure
from contractor.dns.models import Zone
from contractor.site.models import Site
from contractor.utilities.models import Address, AddressBlock

zone = Zone.objects.create(name="lite.example.com", name_servers=["ns.example.net"])
site = Site.objects.create(name="lite", zone=zone)
block = AddressBlock.objects.create(name="lan", site=site, subnet="10.9.0.0", prefix=24)
blueprint = FoundationBluePrint.objects.create(name="fbp", foundation_types=["manual"])
foundation = Foundation.objects.create(locator="lite-1", site=site, blueprint=blueprint, type="manual")
structure = Structure.objects.create(
    hostname="lite1", site=site, blueprint=StructureBluePrint.objects.create(name="sbp"), foundation=foundation
)
Address.objects.create(address_block=block, offset=7, structure=structure, interface_name="eth0", is_primary=True)
"""


def test_on_sqlite_it_polls(tmp_path):
    """With SQLite (no notifications) the follower sees a commit of another process within its poll."""
    env = {**os.environ, "CONTRACTOR_DATABASE_URL": f"sqlite:///{tmp_path / 'lite.sqlite3'}", "PYTHONPATH": str(ROOT)}
    env.pop("CONTRACTOR_REQUIRE_POSTGRES", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300)
    output, log = tmp_path / "zones", tmp_path / "follow.log"
    with open(log, "w") as out:
        follower = subprocess.Popen(
            [*manage, "dns_zones", "--follow", "--output", str(output), "--poll", "0.2"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        assert wait_until(lambda: (output / "zones.conf").exists(), 120), log.read_text()
        subprocess.run([*manage, "shell", "-c", SQLITE_CHANGE], env=env, cwd=ROOT, check=True, timeout=300)
        reverse = output / "0.9.10.in-addr.arpa.zone"
        assert wait_until(lambda: holds(reverse, "7 IN PTR eth0.lite1.lite.example.com."), 30), log.read_text()
        assert holds(output / "lite.example.com.zone", "lite1 IN CNAME eth0.lite1")
        assert "0.9.10.in-addr.arpa" in (output / "zones.conf").read_text()
    finally:
        os.killpg(follower.pid, signal.SIGTERM)
        assert follower.wait(30) == 0, log.read_text()
