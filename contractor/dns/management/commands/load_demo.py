"""`manage.py load_demo`: a small lab to explore on a first run (skipped when it is already there).

It lives in dns, the lowest app above everything it makes (sites and blueprints from the design files,
foundations and structures, a network and addresses, and the lab's DNS zone, which `scripts/serve`'s zone writer
publishes in `var/dns/`).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from contractor.blueprint.design import design_files_read, design_load
from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.building.services import foundation_create, structure_create
from contractor.dns.services import site_zone_set, zone_create
from contractor.plugins import plugin_configs
from contractor.site.models import Site
from contractor.utilities.services import (
    address_allocate,
    address_block_create,
    interface_create,
    network_create,
)

MACHINES = [("rack1-u01", "web01", "02:00:00:00:01:01"), ("rack1-u02", "web02", "02:00:00:00:01:02")]
#: The lab's zone: its hosts are `<hostname>.lab.example.com` (the design's motd says so), its name server the
#: lab's resolver the design's `dns_servers` lists first.
ZONE = {
    "name": "lab.example.com",
    "name_servers": ["ns1.lab.example.com"],
    "glue": {"ns1.lab.example.com": ["10.0.0.53"]},
}


def _design_files() -> list[Path]:
    """The demo's design file, then the blueprint files the installed plugins ship (the IPMI and libvirt ones)."""
    return [Path(settings.BASE_DIR) / "demo" / "design.toml", *_plugin_blueprints()]


def _plugin_blueprints() -> list[Path]:
    """The blueprint files the installed plugins ship (the IPMI and libvirt ones, say)."""
    return [Path(config.path) / config.blueprints for config in plugin_configs() if config.blueprints]


class Command(BaseCommand):
    help = "Load the demo lab: sites, blueprints, a network, two manual servers, two web structures and a DNS zone."

    @transaction.atomic
    def handle(self, *args, **options):
        if Site.objects.filter(name="lab").exists():
            self.stdout.write("Demo site 'lab' is already loaded.")
            return
        document, _ = design_files_read(_design_files())
        for section, counts in design_load(document=document).items():
            self.stdout.write(f"{section}: {counts['created']} created, {counts['updated']} updated")
        site_zone_set(site=Site.objects.get(name="lab"), zone=zone_create(**ZONE))
        rack = Site.objects.get(name="lab-rack1")
        network = network_create(site=rack, name="lab-net", description="Demo server network")
        block = address_block_create(
            site=rack, name="lab-servers", subnet="10.0.0.0", prefix=24, network=network, gateway="10.0.0.1"
        )
        server = FoundationBluePrint.objects.get(name="generic-server")
        web = StructureBluePrint.objects.get(name="web-server")
        for locator, hostname, mac in MACHINES:
            foundation = foundation_create(
                foundation_type="manual",
                locator=locator,
                site=rack,
                blueprint=server,
                location_notes=f"Rack 1, {locator.split('-')[-1].upper()}",
                # What an operator records when racking it: a create job checks it against generic-server's needs.
                id_map={"cpu_count": 4, "memory_mb": 8192, "interfaces": [{"name": "eth0", "mac": mac}]},
            )
            interface_create(foundation=foundation, name="eth0", mac=mac, is_provisioning=True, network=network)
            structure = structure_create(hostname=hostname, site=rack, blueprint=web, foundation=foundation)
            address_allocate(
                address_block=block, kind="static", structure=structure, interface_name="eth0", is_primary=True
            )
        self.stdout.write(
            self.style.SUCCESS("Loaded the demo lab: sites lab > lab-rack1, web01 and web02, zone lab.example.com.")
        )
