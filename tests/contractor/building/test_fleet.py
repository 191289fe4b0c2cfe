"""The fleet questions (counts, impact, resources) on a realistic small fleet, over the API and in selectors."""

import pytest

from contractor.blueprint.models import BluePrintParent
from contractor.building import fleet
from tests.factories import (
    ComplexFactory,
    DependencyFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def inherit(child, *parents):
    for position, parent in enumerate(parents):
        BluePrintParent.objects.create(child=child, parent=parent, position=position)


class Fleet:
    """prod (prod-east (prod-east-r1), prod-west) and lab; web/canary/db on base-linux; a two-host VM cluster.

    web1's foundation waits on db1 (dependency d1); canary1's foundation waits on d1 through d2.
    """

    def __init__(self):
        self.prod = SiteFactory(name="prod")
        self.east = SiteFactory(name="prod-east", parent=self.prod)
        self.rack = SiteFactory(name="prod-east-r1", parent=self.east)
        self.west = SiteFactory(name="prod-west", parent=self.prod)
        self.lab = SiteFactory(name="lab")
        self.server = FoundationBluePrintFactory(name="server", config_values={"cpu_count": 4, "memory_mb": 8192})
        self.big = FoundationBluePrintFactory(name="big-server", config_values={"memory_mb": 65536, "disk_gb": 2000})
        inherit(self.big, self.server)
        self.linux = StructureBluePrintFactory(name="base-linux", foundation_blueprints=[self.server, self.big])
        self.web = StructureBluePrintFactory(name="web", foundation_blueprints=[self.server])
        self.canary = StructureBluePrintFactory(name="web-canary", foundation_blueprints=[self.server])
        self.db = StructureBluePrintFactory(name="db", foundation_blueprints=[self.big])
        self.vmhost = StructureBluePrintFactory(name="vm-host", foundation_blueprints=[self.big])
        inherit(self.web, self.linux)
        inherit(self.canary, self.web)
        inherit(self.db, self.linux)
        self.s = {}
        for host, site, sbp, fbp, state, id_map in (
            ("web1", self.east, self.web, self.server, "built", {"cpu_count": 8, "memory_mb": 16384}),
            ("web2", self.east, self.web, self.server, "built", {}),
            ("web3", self.west, self.web, self.server, "located", {"disks": [{"name": "sda", "size_gb": 500}]}),
            ("canary1", self.rack, self.canary, self.server, "planned", {}),
            ("db1", self.west, self.db, self.big, "built", {"cpu_count": 32, "disks": [{"size_gb": 960}] * 2}),
            ("host1", self.lab, self.vmhost, self.big, "built", {}),
            ("host2", self.lab, self.vmhost, self.big, "located", {}),
        ):
            foundation = ManualFoundationFactory(
                locator=f"{host}-hw", site=site, blueprint=fbp, state=state, id_map=id_map
            )
            self.s[host] = StructureFactory(hostname=host, site=site, blueprint=sbp, foundation=foundation)
        self.s["web2"].config_values = {"cpu_count": 2}
        self.s["web2"].save()
        ManualFoundationFactory(locator="spare-1", site=self.east, blueprint=self.server)
        self.d1 = DependencyFactory(structure=self.s["db1"], foundation=self.s["web1"].foundation)
        self.d2 = DependencyFactory(structure=None, dependency=self.d1, foundation=self.s["canary1"].foundation)
        self.cluster = ComplexFactory(name="vm-cluster", site=self.lab)
        self.cluster.memberships.create(structure=self.s["host1"])
        self.cluster.memberships.create(structure=self.s["host2"])


@pytest.fixture
def lab():
    return Fleet()


def by(rows, key):
    return {row[key]: row for row in rows}


def test_structures_per_blueprint_count_heirs(lab):
    """base-linux counts web, web-canary and db structures; web counts its canary heir too."""
    rows = by(fleet.structures_per_blueprint(), "blueprint")
    assert {name: (row["structures"], row["total"]) for name, row in rows.items()} == {
        "base-linux": (0, 5),
        "db": (1, 1),
        "vm-host": (2, 2),
        "web": (3, 4),
        "web-canary": (1, 1),
    }


def test_counts_per_site_include_sub_sites(lab):
    """prod's totals include prod-east, its rack and prod-west; asking for prod-east leaves prod-west out."""
    rows = by(fleet.counts_per_site(), "site")
    assert (rows["prod"]["structures"], rows["prod"]["total_structures"], rows["prod"]["total_foundations"]) == (
        0,
        5,
        6,
    )
    assert (rows["prod-east"]["total_structures"], rows["prod-east"]["parent"]) == (3, "prod")
    east = fleet.fleet_counts(site=lab.east)
    assert {row["site"] for row in east["sites"]} == {"prod-east", "prod-east-r1"}
    assert by(east["structures_per_blueprint"], "blueprint")["base-linux"]["total"] == 3


def test_foundations_per_type_and_state(lab):
    """Foundations are counted by type and state, everywhere or under a site."""
    assert fleet.foundations_per_type_and_state() == {"manual": {"built": 4, "located": 2, "planned": 2}}
    assert fleet.foundations_per_type_and_state(site=lab.lab) == {"manual": {"built": 1, "located": 1}}


def flatten(node):
    yield node
    for child in node["children"]:
        yield from flatten(child)


def test_impact_of_a_database_foundation_is_a_tree_with_paths(lab):
    """db1's hardware carries db1, the dependency web1 waits on, web1 itself, and canary1 behind d2."""
    answer = fleet.impact(lab.s["db1"].foundation)
    paths = {(n["kind"], str(n["id"])): n["path"] for n in flatten(answer["root"])}
    assert paths == {
        ("foundation", "db1-hw"): ["db1-hw"],
        ("structure", str(lab.s["db1"].pk)): ["db1-hw", "db1"],
        ("dependency", str(lab.d1.pk)): ["db1-hw", "db1", f"dependency {lab.d1.pk}"],
        ("foundation", "web1-hw"): ["db1-hw", "db1", f"dependency {lab.d1.pk}", "web1-hw"],
        ("dependency", str(lab.d2.pk)): ["db1-hw", "db1", f"dependency {lab.d1.pk}", f"dependency {lab.d2.pk}"],
        ("structure", str(lab.s["web1"].pk)): ["db1-hw", "db1", f"dependency {lab.d1.pk}", "web1-hw", "web1"],
        ("foundation", "canary1-hw"): ["db1-hw", "db1", f"dependency {lab.d1.pk}", f"dependency {lab.d2.pk}"]
        + ["canary1-hw"],
        ("structure", str(lab.s["canary1"].pk)): ["db1-hw", "db1", f"dependency {lab.d1.pk}"]
        + [f"dependency {lab.d2.pk}", "canary1-hw", "canary1"],
    }
    assert answer["affected"] == {"structure": 3, "dependency": 2, "complex": 0, "foundation": 2}


def test_impact_of_a_cluster_member_reaches_the_complex(lab):
    """A VM host going down affects its complex; a web server nobody waits on affects only itself."""
    answer = fleet.impact(lab.s["host1"])
    assert [(c["kind"], c["id"], c["path"]) for c in answer["root"]["children"]] == [
        ("complex", "vm-cluster", ["host1", "vm-cluster"])
    ]
    assert fleet.impact(lab.s["web2"])["affected"] == {"structure": 0, "dependency": 0, "complex": 0, "foundation": 0}


def test_resources_of_a_blueprint_prefer_id_map_then_structure_then_blueprint_config(lab):
    """web (with its canary heir) sums CPU, memory and disk from id_map, structure config and blueprint config."""
    answer = fleet.resource_usage(blueprint=lab.web)
    rows = by(answer["foundations"], "structure")
    assert set(rows) == {"web1", "web2", "web3", "canary1"}
    assert (rows["web1"]["cpu_count"], rows["web1"]["source"]["cpu_count"]) == (8, "id_map")
    assert (rows["web2"]["cpu_count"], rows["web2"]["source"]["cpu_count"]) == (2, "structure")
    assert (rows["web3"]["disk_gb"], rows["web3"]["memory_mb"]) == (500, 8192)
    assert answer["total"] == {"cpu_count": 8 + 2 + 4 + 4, "memory_mb": 16384 + 8192 * 3, "disk_gb": 500}


def test_resources_of_a_complex_use_inherited_blueprint_config(lab):
    """The VM cluster's hosts get CPU from server and memory and disk from big-server (which inherits server)."""
    answer = fleet.resource_usage(complex_=lab.cluster)
    assert answer["count"] == 2
    assert answer["total"] == {"cpu_count": 8, "memory_mb": 2 * 65536, "disk_gb": 4000}
    assert fleet.resource_usage(blueprint=lab.db)["total"] == {"cpu_count": 32, "memory_mb": 65536, "disk_gb": 1920}
