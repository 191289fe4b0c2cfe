"""Fleet questions about VMs: counts per host and per complex, and what a VM host going down takes with it."""

import pytest

from contractor.building import fleet
from tests.factories import StructureBluePrintFactory, StructureFactory
from tests.plugins.libvirt.factories import LibvirtComplexFactory, LibvirtFoundationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(vm_complex):
    """kvm1 holds vm-a (built, with structure web1) and vm-b; kvm2 holds vm-c; vm-d is not placed yet."""
    kvm1, kvm2 = (vm_complex.members.get(hostname=name) for name in ("kvm1", "kvm2"))
    vms = {
        "vm-a": LibvirtFoundationFactory(locator="vm-a", complex=vm_complex, host=kvm1, state="built"),
        "vm-b": LibvirtFoundationFactory(locator="vm-b", complex=vm_complex, host=kvm1),
        "vm-c": LibvirtFoundationFactory(locator="vm-c", complex=vm_complex, host=kvm2),
        "vm-d": LibvirtFoundationFactory(locator="vm-d", complex=vm_complex),
    }
    blueprint = StructureBluePrintFactory(foundation_blueprints=[vms["vm-a"].blueprint])
    StructureFactory(hostname="web1", site=vm_complex.site, foundation=vms["vm-a"], blueprint=blueprint)
    return vm_complex, kvm1, kvm2


def test_counts_per_complex_and_per_host(placed):
    """The counts name each complex (all, placed, built) and each host with the VMs on it; empty complexes too."""
    LibvirtComplexFactory(name="spare", site=placed[0].site)
    hosted = fleet.fleet_counts()["hosted"]
    assert hosted["complexes"] == [
        {"complex": "spare", "foundations": 0, "placed": 0, "built": 0},
        {"complex": "vmc", "foundations": 4, "placed": 3, "built": 1},
    ]
    assert hosted["hosts"] == [
        {"host": "kvm1", "complex": "vmc", "foundations": 2},
        {"host": "kvm2", "complex": "vmc", "foundations": 1},
    ]


def test_a_host_going_down_takes_its_vms_and_what_is_on_them(placed):
    """kvm1's impact: its complex, the VMs placed on it and web1 on vm-a; not vm-c on kvm2; the complex carries
    vm-d, which waits for it to be placed."""
    _, kvm1, _ = placed
    tree = fleet.impact(kvm1)
    children = {child["name"]: child for child in tree["root"]["children"]}
    assert set(children) == {"vmc", "vm-a", "vm-b"}
    assert [c["name"] for c in children["vm-a"]["children"]] == ["web1"]
    assert children["vm-a"]["children"][0]["path"] == ["kvm1", "vm-a", "web1"]
    assert [c["name"] for c in children["vmc"]["children"]] == ["vm-d"]
    assert tree["affected"] == {"structure": 1, "dependency": 0, "complex": 1, "foundation": 3}


def test_the_impact_walk_stays_within_a_few_queries(placed, django_assert_max_num_queries):
    """Walking from a host costs a bounded number of queries, not one per VM."""
    with django_assert_max_num_queries(20):
        fleet.impact(placed[1])
