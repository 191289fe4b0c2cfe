"""Discovered machines: a report recorded, matched to a planned foundation (MAC, DMI serial/UUID, BMC address),
refused by the blueprint's hardware requirements, assigned by an operator or given a new foundation."""

import pytest

from contractor.building.choices import FoundationState
from contractor.discovery import services
from contractor.discovery.choices import DiscoveredAction, DiscoveredState
from contractor.discovery.models import DiscoveredMachine
from contractor.webhooks.models import Event
from plugins.ipmi.models import IPMIFoundation
from tests.factories import (
    AddressBlockFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    RealNetworkInterfaceFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

MAC = "52:54:00:aa:00:01"
FACTS = {
    "cpu_count": 2,
    "cpu_model": "QEMU Virtual CPU",
    "memory_mb": 1985,
    "interfaces": [{"name": "eth0", "mac": MAC.upper(), "speed_mbps": 1000}],
    "disks": [{"name": "vda", "size_bytes": 2147483648, "serial": "disk-1", "model": ""}],
    "pci_devices": [{"address": "0000:00:03.0", "vendor": "1af4", "product": "1000", "class": "020000"}],
    "dmi": {
        "vendor": "QEMU",
        "product": "Standard PC",
        "serial": "SN-1",
        "uuid": "6E1C3C9A-0000-4000-8000-000000000001",
    },
}


def report(mac=MAC, facts=None, **where):
    return services.discovery_report(mac=mac, facts=FACTS if facts is None else facts, **where)


def test_an_unknown_machine_is_recorded_as_new_with_its_site():
    """A report from no known machine is a new discovered machine: its facts (MACs normalised), the site of the
    address block its address is in, one report, told to wait; a second report updates it."""
    block = AddressBlockFactory(subnet="10.9.0.0", site=SiteFactory(name="lab"))
    machine = report(address="10.9.0.77")
    assert machine.state == DiscoveredState.NEW and machine.action == DiscoveredAction.WAIT
    assert machine.site == block.site and machine.facts["interfaces"][0]["mac"] == MAC
    again = report(mac=MAC.upper(), facts={**FACTS, "memory_mb": 4096})
    assert again.pk == machine.pk and again.reports == 2 and again.facts["memory_mb"] == 4096
    assert Event.objects.filter(kind="discovery.reported").count() == 1


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"cpu_count": "two"}, "facts.cpu_count"),
        ({"interfaces": [{"name": "eth0", "mac": "nope"}]}, "facts.interfaces[0].mac"),
        ({"disks": ["vda"]}, "facts.disks[0]"),
        ({"dmi": {"serial": 7}}, "facts.dmi.serial"),
    ],
)
def test_a_malformed_report_is_refused_naming_the_field(facts, field):
    """Each bad fact is named; nothing is recorded."""
    with pytest.raises(services.ValidationError) as error:
        report(facts=facts)
    assert field in error.value.message_dict
    assert not DiscoveredMachine.objects.exists()


def test_matched_by_provisioning_mac_locates_the_foundation_with_the_facts():
    """The booting MAC is a planned foundation's provisioning interface: matched, located, id_map from the facts."""
    interface = RealNetworkInterfaceFactory(mac=MAC)
    machine = report()
    foundation = interface.foundation
    foundation.refresh_from_db()
    assert (machine.state, machine.matched_by, machine.foundation_id) == ("matched", "mac", foundation.pk)
    assert machine.action == DiscoveredAction.POWEROFF
    assert foundation.state == FoundationState.LOCATED
    assert foundation.id_map["cpu_count"] == 2 and foundation.id_map["dmi"]["serial"] == "SN-1"
    assert Event.objects.filter(kind="discovery.matched", target_id=foundation.locator).exists()


@pytest.mark.parametrize(
    ("dmi", "by"), [({"serial": "SN-1"}, "dmi_serial"), ({"uuid": FACTS["dmi"]["uuid"].lower()}, "dmi_uuid")]
)
def test_matched_by_dmi_serial_or_uuid(dmi, by):
    """A planned foundation whose id_map names the DMI serial or UUID (any case) is matched by it."""
    foundation = ManualFoundationFactory(id_map={"dmi": dmi})
    machine = report()
    foundation.refresh_from_db()
    assert (machine.state, machine.matched_by, foundation.state) == ("matched", by, "located")
    assert foundation.id_map["memory_mb"] == 1985


def test_matched_by_bmc_address(site, fbp):
    """A foundation type with a BMC address (IPMI's) is matched by the reported bmc_address."""
    foundation = IPMIFoundation.objects.create(
        locator="bmc1", site=site, blueprint=fbp, bmc_address="10.0.0.9", bmc_username="u"
    )
    machine = report(facts={**FACTS, "bmc_address": "10.0.0.9"})
    assert (machine.matched_by, machine.foundation_id) == ("bmc_address", foundation.pk)


def test_a_machine_short_of_the_blueprint_is_refused_naming_each_requirement():
    """Memory below the minimum and a missing disk: refused with both named and the facts found; the foundation
    stays planned; once the blueprint asks for less, the next report matches."""
    blueprint = FoundationBluePrintFactory(hardware_requirements={"memory_mb_min": 4096, "disks": ["sdb"]})
    interface = RealNetworkInterfaceFactory(mac=MAC, foundation=ManualFoundationFactory(blueprint=blueprint))
    machine = report()
    assert machine.state == DiscoveredState.REFUSED and machine.action == DiscoveredAction.WAIT
    assert "memory_mb 1985 is below the minimum 4096" in machine.message
    assert "disks lacks 'sdb'" in machine.message
    interface.foundation.refresh_from_db()
    assert interface.foundation.state == FoundationState.PLANNED
    blueprint.hardware_requirements = {"memory_mb_min": 1024, "disks": ["vda"], "cpu_count_min": 2}
    blueprint.save()
    assert report().state == DiscoveredState.MATCHED


def test_an_operator_assigns_an_unmatched_machine():
    """assign locates the chosen planned foundation; a second assignment is refused on state."""
    machine = report()
    foundation = ManualFoundationFactory()
    machine = services.discovered_assign(machine=machine, foundation=foundation)
    foundation.refresh_from_db()
    assert (machine.state, foundation.state) == ("assigned", "located")
    with pytest.raises(services.ValidationError) as error:
        services.discovered_assign(machine=machine, foundation=ManualFoundationFactory())
    assert "state" in error.value.message_dict


def test_an_assignment_the_blueprint_refuses_is_a_field_error_and_recorded():
    """Assigning to a foundation whose blueprint wants 4 CPUs: refused on `foundation`, the machine says why."""
    blueprint = FoundationBluePrintFactory(hardware_requirements={"cpu_count_min": 4})
    machine = report()
    with pytest.raises(services.ValidationError) as error:
        services.discovered_assign(machine=machine, foundation=ManualFoundationFactory(blueprint=blueprint))
    assert "cpu_count 2 is below the minimum 4" in error.value.message_dict["foundation"][0]
    machine.refresh_from_db()
    assert machine.state == DiscoveredState.REFUSED


def test_create_foundation_from_a_machine(fbp):
    """A new manual foundation with the machine's interfaces (the booting one for provisioning), located."""
    AddressBlockFactory(subnet="10.9.1.0", site=SiteFactory(name="lab"))
    machine = report(address="10.9.1.20")
    machine = services.discovered_create_foundation(machine=machine, locator="found-1", blueprint=fbp)
    foundation = machine.foundation
    assert (foundation.locator, foundation.site.name, foundation.state) == ("found-1", "lab", "located")
    assert [(i.name, i.mac, i.is_provisioning) for i in foundation.interfaces.all()] == [("eth0", MAC, True)]


def test_create_foundation_refused_by_its_blueprint_creates_nothing():
    """A blueprint the machine falls short of: a 400-style error on `blueprint`, no foundation left behind."""
    blueprint = FoundationBluePrintFactory(hardware_requirements={"memory_mb_min": 8192})
    machine = report(site=SiteFactory(name="lab"))
    with pytest.raises(services.ValidationError) as error:
        services.discovered_create_foundation(machine=machine, locator="found-2", blueprint=blueprint)
    assert "memory_mb 1985 is below the minimum 8192" in error.value.message_dict["blueprint"][0]
    assert not ManualFoundationFactory._meta.model.objects.filter(locator="found-2").exists()
