"""Writing zone files: serials, rewriting only changed zones, the after-write command, manage.py dns_zones."""

import datetime
import sys

import pytest
from django.core.management import CommandError, call_command

from contractor.dns.models import ZoneFile
from contractor.dns.services import next_serial, zone_update
from contractor.dns.writer import zones_write
from tests.factories import AddressBlockFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(zone_site, host_with_address):
    zone, site = zone_site
    block = AddressBlockFactory(site=site, subnet="10.1.2.0", prefix=24)
    host_with_address(site, "web1", block, 10)
    return zone, site, block


def serial_in(path) -> int:
    return int(path.read_text().split("( ", 1)[1].split(" ", 1)[0])


def test_next_serial_is_date_based_and_strictly_increasing():
    """The first serial of a day is YYYYMMDD00; later ones only ever go up, past 99 changes too."""
    today = datetime.date(2026, 11, 24)
    assert next_serial(None, today) == 2026112400
    assert next_serial(2026112400, today) == 2026112401
    assert next_serial(2026112099, today) == 2026112400
    assert next_serial(2026112499, today) == 2026112500
    assert next_serial(2030010100, today) == 2030010101


def test_write_all_then_nothing(populated, tmp_path, checkzone):
    """The first run writes every zone and zones.conf; a second run with no change writes nothing."""
    first = zones_write(output=tmp_path)
    assert set(first.written) == {"prod.example.com", "2.1.10.in-addr.arpa", "zones.conf"}
    for origin in ("prod.example.com", "2.1.10.in-addr.arpa"):
        checkzone(origin, (tmp_path / f"{origin}.zone").read_text())
    conf = (tmp_path / "zones.conf").read_text()
    assert f'zone "prod.example.com" {{ type primary; file "{tmp_path}/prod.example.com.zone"; }};' in conf
    mtime = (tmp_path / "prod.example.com.zone").stat().st_mtime_ns
    second = zones_write(output=tmp_path)
    assert second.written == []
    assert sorted(second.unchanged) == ["2.1.10.in-addr.arpa", "prod.example.com"]
    assert (tmp_path / "prod.example.com.zone").stat().st_mtime_ns == mtime


def test_only_changed_zone_is_rewritten_with_a_higher_serial(populated, host_with_address, tmp_path):
    """A new host changes the forward and its reverse zone; their serials go up, the others stay."""
    zone, site, _block = populated
    zones_write(output=tmp_path)
    other_block = AddressBlockFactory(site=site, subnet="10.1.3.0", prefix=24)
    zones_write(output=tmp_path)
    before = {path.name: serial_in(path) for path in tmp_path.glob("*.zone")}
    host_with_address(site, "web2", other_block, 20)
    result = zones_write(output=tmp_path)
    assert set(result.written) == {"prod.example.com", "3.1.10.in-addr.arpa"}
    after = {path.name: serial_in(path) for path in tmp_path.glob("*.zone")}
    assert after["prod.example.com.zone"] > before["prod.example.com.zone"]
    assert after["3.1.10.in-addr.arpa.zone"] > before["3.1.10.in-addr.arpa.zone"]
    assert after["2.1.10.in-addr.arpa.zone"] == before["2.1.10.in-addr.arpa.zone"]


def test_zone_setting_change_bumps_serial(populated, tmp_path):
    """Changing a zone's TTL changes its files' content, so their serials go up and are stored."""
    zone, _site, _block = populated
    zones_write(output=tmp_path)
    stored = ZoneFile.objects.get(origin="prod.example.com").serial
    zone_update(zone=zone, ttl=600)
    assert "prod.example.com" in zones_write(output=tmp_path).written
    assert ZoneFile.objects.get(origin="prod.example.com").serial == stored + 1
    assert "$TTL 600" in (tmp_path / "prod.example.com.zone").read_text()


def test_deleted_file_is_written_again_with_the_same_serial(populated, tmp_path):
    """A zone file missing on disk is rewritten; its content did not change, so neither does its serial."""
    zones_write(output=tmp_path)
    path = tmp_path / "prod.example.com.zone"
    serial = serial_in(path)
    path.unlink()
    assert zones_write(output=tmp_path).written == ["prod.example.com"]
    assert serial_in(path) == serial


def test_command_runs_only_after_a_write(populated, tmp_path):
    """The after-write command runs when a file was written, not when nothing changed."""
    marker = tmp_path / "ran"
    command = f"{sys.executable} -c \"open('{marker}', 'a').write('x')\""
    result = zones_write(output=tmp_path / "zones", command=command)
    assert result.command_status == 0
    assert marker.read_text() == "x"
    result = zones_write(output=tmp_path / "zones", command=command)
    assert result.command_status is None
    assert marker.read_text() == "x"


def test_management_command(populated, tmp_path):
    """manage.py dns_zones --output DIR writes the files and says what it wrote."""
    from io import StringIO

    out = StringIO()
    call_command("dns_zones", "--output", str(tmp_path), "--command", f"{sys.executable} -c pass", stdout=out)
    text = out.getvalue()
    assert "wrote prod.example.com" in text
    assert "3 written, 0 unchanged" in text
    assert "exit 0" in text
    out = StringIO()
    call_command("dns_zones", "--output", str(tmp_path), stdout=out)
    assert "0 written, 2 unchanged" in out.getvalue()


def test_management_command_failure_is_an_error(populated, tmp_path):
    """A failing after-write command makes dns_zones fail with its exit status and output."""
    command = f"{sys.executable} -c \"import sys; print('rndc: connection refused'); sys.exit(3)\""
    with pytest.raises(CommandError, match="exit 3.*connection refused"):
        call_command("dns_zones", "--output", str(tmp_path), "--command", command)


def test_missing_command_is_reported(populated, tmp_path):
    """A command that cannot be started is reported as status -1, not an exception."""
    result = zones_write(output=tmp_path, command="/nonexistent/rndc reload")
    assert result.command_status == -1
    assert "nonexistent" in result.command_output
