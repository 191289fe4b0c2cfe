"""Reads of the building app: foundations as their types and a site's dependency graph."""

from contractor.building.choices import StructureState
from contractor.building.models import Dependency, Foundation
from contractor.building.selectors import foundations_as_types, site_dependency_graph
from plugins.manual.models import ManualFoundation
from tests.factories import ComplexFactory, DependencyFactory, ManualFoundationFactory, SiteFactory, StructureFactory


def test_foundations_as_types_keeps_order_and_downcasts(site, fbp, django_assert_num_queries):
    """Each foundation comes back as its plugin model, in the given order; unknown types stay base rows."""
    ManualFoundationFactory(locator="c", site=site, blueprint=fbp)
    Foundation.objects.create(locator="b", site=site, blueprint=fbp, type="retired")
    ManualFoundationFactory(locator="a", site=site, blueprint=fbp)
    base = list(Foundation.objects.order_by("-locator"))
    with django_assert_num_queries(2):  # the manual rows and their interfaces
        typed = foundations_as_types(base)
    assert [(f.locator, type(f)) for f in typed] == [
        ("c", ManualFoundation),
        ("b", Foundation),
        ("a", ManualFoundation),
    ]


def test_site_dependency_graph(db):
    """The graph covers a site and its sub-sites, with hosts, member and depends edges, and nothing outside."""
    root = SiteFactory(name="root")
    child = SiteFactory(name="child", parent=root)
    outside = SiteFactory(name="outside")
    host = StructureFactory(hostname="vmhost", site=root, state=StructureState.BUILT)
    guest = StructureFactory(hostname="guest", site=child)
    elsewhere = StructureFactory(hostname="far", site=outside)
    cluster = ComplexFactory(name="cluster", site=root, built_percentage=100)
    cluster.memberships.create(structure=host)
    first = DependencyFactory(structure=host, foundation=guest.foundation)
    second = Dependency.objects.create(dependency=first)

    graph = site_dependency_graph(root)

    ids = {node["id"] for node in graph["nodes"]}
    assert f"structure:{elsewhere.pk}" not in ids
    assert {"kind": "structure", "id": f"structure:{host.pk}", "label": "vmhost", "state": "built"} in graph["nodes"]
    assert {"kind": "complex", "id": f"complex:{cluster.pk}", "label": "cluster", "state": "built"} in graph["nodes"]
    edges = {(edge["from"], edge["to"], edge["kind"]) for edge in graph["edges"]}
    assert edges == {
        (f"foundation:{host.foundation.pk}", f"structure:{host.pk}", "hosts"),
        (f"foundation:{guest.foundation.pk}", f"structure:{guest.pk}", "hosts"),
        (f"structure:{host.pk}", f"complex:{cluster.pk}", "member"),
        (f"foundation:{guest.foundation.pk}", f"dependency:{first.pk}", "depends"),
        (f"dependency:{first.pk}", f"structure:{host.pk}", "depends"),
    }
    assert f"dependency:{second.pk}" not in ids  # waits on a dependency but belongs to no site's object
    assert site_dependency_graph(outside)["edges"] == [
        {"from": f"foundation:{elsewhere.foundation.pk}", "to": f"structure:{elsewhere.pk}", "kind": "hosts"}
    ]
