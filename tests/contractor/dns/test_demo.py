"""The demo lab that `scripts/serve` loads on a first run."""

import pytest
from django.core.management import call_command

from contractor.building.models import Structure
from contractor.configuration import merged_config
from contractor.site.models import Site


@pytest.mark.django_db
def test_load_demo_builds_a_lab_whose_config_inherits_every_layer():
    """The demo's web01 sees its site chain, both blueprint layers, its address and a rendered template."""
    call_command("load_demo")
    web01 = Structure.objects.get(hostname="web01")
    config = merged_config(web01, reveal_secrets=False)

    assert config["packages"] == ["openssh-server", "nginx"]
    assert config["dns_servers"] == ["10.0.0.53", "10.1.0.53"]
    assert config["motd"] == "Welcome to web01.lab.example.com, a debian web server"
    assert config["_interface_map"]["eth0"]["address"] == "10.0.0.2"
    assert config["root_password"] == "********"


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing(capsys):
    """Running it again (scripts/serve does, every start) leaves the loaded lab alone."""
    call_command("load_demo")
    call_command("load_demo")
    assert "already loaded" in capsys.readouterr().out
    assert Site.objects.filter(name__startswith="lab").count() == 2
    assert Structure.objects.count() == 2


@pytest.mark.django_db
def test_the_readme_build_of_a_demo_server_still_builds_it():
    """As the README says: rack1-u01's create job pauses to ask for the racking; resumed, it builds the server,
    whose recorded hardware meets generic-server's requirements."""
    from contractor.building.models import Foundation
    from contractor.foreman import services
    from contractor.foreman.worker import Worker

    call_command("load_demo")
    job = services.job_create(target=Foundation.objects.get(locator="rack1-u01"), script_name="create")
    Worker().run_once()
    job.refresh_from_db()
    assert job.state == "paused" and "Rack and cable" in job.message
    services.job_resume(job=job)
    Worker().run_once()
    job.refresh_from_db()
    assert job.state == "done", job.message
    assert Foundation.objects.get(locator="rack1-u01").state == "built"


@pytest.mark.django_db
def test_the_demo_lab_is_published_in_its_zone(tmp_path):
    """The lab site names zone lab.example.com: the zone writer (scripts/serve runs it) publishes web01 and web02 with
    their addresses, the forward names and the reverse ones of 10.0.0.0/24."""
    from contractor.dns.writer import zones_write

    call_command("load_demo")
    assert Site.objects.get(name="lab").zone.name == "lab.example.com"
    zones_write(output=tmp_path)
    forward = (tmp_path / "lab.example.com.zone").read_text()
    reverse = (tmp_path / "0.0.10.in-addr.arpa.zone").read_text()
    assert "ns1" in forward and "10.0.0.53" in forward, forward
    for hostname in ("web01", "web02"):
        address = Structure.objects.get(hostname=hostname).addresses.get(is_primary=True).ip_address
        assert f"eth0.{hostname}" in forward and address in forward, forward
        assert f"eth0.{hostname}.lab.example.com." in reverse, reverse
    assert 'zone "lab.example.com" { type primary;' in (tmp_path / "zones.conf").read_text(), "named includes this"
