"""The blueprint inheritance graph: lineage order, what inherits from what, and a bounded number of queries."""

import pytest
from django.core.exceptions import ValidationError

from contractor.blueprint.models import BluePrintParent
from contractor.blueprint.selectors import (
    blueprint_graph,
    blueprint_lineage,
    blueprint_script,
    blueprint_script_names,
    structure_blueprint_allows,
)
from tests.contractor.blueprint.test_blueprint_services import fbp, sbp

pytestmark = pytest.mark.django_db


@pytest.fixture
def deep():
    """A chain of twelve blueprints with a diamond at the bottom: l0 <- l1 <- ... <- l11, then left/right <- leaf."""
    sbp("l0", scripts={"create": "pass\n"})
    for level in range(1, 12):
        sbp(f"l{level}", parents=[f"l{level - 1}"], scripts={f"s{level}": "pass\n"} if level % 3 == 0 else None)
    sbp("left", parents=["l11"], scripts={"create": "x = 1\n"})
    sbp("right", parents=["l5"])
    return sbp("leaf", parents=["left", "right"])


def test_lineage_walks_parents_depth_first_each_once(deep):
    """The lineage lists each ancestor once, where the depth-first walk first meets it, and the blueprint last."""
    names = [bp.name for bp in blueprint_lineage(deep)]
    assert names == [*(f"l{level}" for level in range(12)), "left", "right", "leaf"]
    assert blueprint_lineage(deep)[-1] is deep


def test_lineage_takes_two_queries_however_deep(deep, django_assert_max_num_queries):
    """The whole graph is read in one query and the ancestors in one more, not a query per level."""
    with django_assert_max_num_queries(2):
        lineage = deep.lineage()
    assert len(lineage) == 15
    graph = blueprint_graph()
    with django_assert_max_num_queries(1):
        blueprint_lineage(deep, graph=graph)


def test_ancestors_come_as_the_blueprints_own_kind(django_assert_max_num_queries):
    """A foundation blueprint's ancestors are loaded as foundation blueprints, with their own fields, at once."""
    fbp("base", hardware_requirements={"cpu_count_min": 2})
    child = fbp("child", parents=["base"])
    with django_assert_max_num_queries(2):
        lineage = blueprint_lineage(child)
        assert [bp.hardware_requirements for bp in lineage] == [{"cpu_count_min": 2}, {}]


def test_scripts_and_allowed_foundations_are_looked_up_in_two_queries(deep, django_assert_max_num_queries):
    """A script found back up the lineage, the inherited script names and the foundation check read two queries."""
    fbp("metal")
    vm = fbp("vm", parents=["metal"])
    sbp("allowing", foundation_blueprints=["metal"])
    web = sbp("web", parents=["allowing"])
    with django_assert_max_num_queries(2):
        found = blueprint_script(deep, "create")
    assert found.blueprint.name == "left"
    with django_assert_max_num_queries(2):
        assert blueprint_script_names(deep) == ["create", "s3", "s6", "s9"]
    with django_assert_max_num_queries(2):
        assert structure_blueprint_allows(web, vm)
    assert not structure_blueprint_allows(deep, vm)


def test_descendants_count_every_blueprint_inheriting(deep):
    """What inherits from a blueprint is found however far down, the blueprint itself included."""
    graph = blueprint_graph()
    by_name = {bp.name: bp.pk for bp in blueprint_lineage(deep)}
    above_l5 = {"l0", "l1", "l2", "l3", "l4"}
    assert graph.descendants(by_name["l5"]) == {pk for name, pk in by_name.items() if name not in above_l5}
    assert graph.descendants(by_name["leaf"]) == {by_name["leaf"]}
    path = graph.path_up(by_name["right"], by_name["l3"])
    assert path == [by_name[name] for name in ("right", "l5", "l4", "l3")]
    assert graph.path_up(by_name["l3"], by_name["leaf"]) is None


def test_a_stored_cycle_is_a_validation_error_naming_it():
    """Parents looping in stored rows (validation refuses them; bulk writes do not) name the loop, not recurse."""
    a = sbp("a")
    b = sbp("b", parents=["a"])
    BluePrintParent.objects.create(child=a, parent=b, position=0)
    with pytest.raises(ValidationError, match=r"BluePrint parents form a cycle: a -> b -> a\."):
        a.lineage()
