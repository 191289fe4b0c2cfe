"""DNS end to end with a real BIND: `named` serves the directory `dns_zones --follow` writes (reloaded by its
`--command "rndc reload"`); a structure built with addresses is answered by dig (A, AAAA, PTR, and the PTR
behind an RFC 2317 CNAME), and is gone again after it is destroyed."""

import os
import sys

import pytest
from django.db import transaction

from tests.contractor.dns.conftest import ZoneFactory, add_address
from tests.e2e import bind_server
from tests.e2e.conftest import wait_until
from tests.factories import AddressBlockFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.slow

# The follower writes within a second of a commit and named reloads in a moment: 2 s on a quiet machine. A
# busy one (the load average above its cores) gets proportionally longer, so the deadline is not a race.
DEADLINE = 2.0 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


@pytest.fixture
def bind(processes, tmp_path):
    """A zone with a site, a classless IPv4 /26 and an IPv6 /64; the follower, and named serving its files."""
    if reason := bind_server.missing():
        pytest.skip(reason)
    zone = ZoneFactory.create("prod.example.com")
    site = SiteFactory(name="prod", zone=zone)
    v4 = AddressBlockFactory(site=site, subnet="10.1.2.64", prefix=26, gateway_offset=None, classless_reverse=True)
    v6 = AddressBlockFactory(site=site, subnet="2001:db8:1::", prefix=64, gateway_offset=None)
    output = tmp_path / "zones"
    server = bind_server.Bind(tmp_path, output / "zones.conf")
    command = [sys.executable, "manage.py", "dns_zones", "--follow", "--output", str(output)]
    processes.start("dns", [*command, "--command", server.rndc_command])
    assert wait_until(lambda: (output / "64-26.2.1.10.in-addr.arpa.zone").exists(), 60), processes.logs()
    server.start()
    try:
        assert wait_until(lambda: server.dig("SOA", "prod.example.com"), 30), server.log.read_text()
        yield server, site, v4, v6
    finally:
        server.stop()


def test_a_built_structure_is_answered_and_gone_after_its_destroy(bind, processes):
    server, site, v4, v6 = bind
    with transaction.atomic():
        structure = StructureFactory(site=site, hostname="web1")
        add_address(structure, v4, 6, is_primary=True)
        add_address(structure, v6, 0x10)

    def answered():
        return server.dig("A", "web1.prod.example.com") == ["eth0.web1.prod.example.com.", "10.1.2.70"]

    assert bind_server.wait_for(answered, DEADLINE) is not None, processes.logs() + server.log.read_text()
    assert server.dig("AAAA", "eth0.web1.prod.example.com") == ["2001:db8:1::10"]
    # 10.1.2.70's PTR is behind the /24's CNAME into the block's own RFC 2317 zone (which the /24 delegates, so
    # named answers the CNAME and a resolver follows it there, as this second question does)
    assert server.dig("-x", "10.1.2.70")[0] == "70.64-26.2.1.10.in-addr.arpa."
    assert server.dig("NS", "64-26.2.1.10.in-addr.arpa") == ["ns1.prod.example.com."]
    assert server.dig("PTR", "70.64-26.2.1.10.in-addr.arpa") == ["eth0.web1.prod.example.com."]
    assert server.dig("-x", "2001:db8:1::10") == ["eth0.web1.prod.example.com."]

    foundation = structure.foundation
    with transaction.atomic():
        structure.delete()
        foundation.delete()

    def gone():
        return server.dig("A", "web1.prod.example.com") == [] and server.dig("-x", "2001:db8:1::10") == []

    assert bind_server.wait_for(gone, DEADLINE) is not None, processes.logs() + server.log.read_text()
    assert server.dig("PTR", "70.64-26.2.1.10.in-addr.arpa") == []
    assert "rndc" in processes.logs() and "exit 0" in processes.logs()
