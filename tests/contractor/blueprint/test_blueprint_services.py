"""Blueprint services and model validation: parents, cycles, kinds, scripts, hardware and deletes."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contractor.blueprint.models import BluePrint, Script
from contractor.blueprint.services import (
    blueprint_create,
    blueprint_delete,
    blueprint_update,
    pxe_create,
    pxe_delete,
    pxe_update,
)
from tests.factories import ManualFoundationFactory, PXEFactory

pytestmark = pytest.mark.django_db


def fbp(name, **kwargs):
    return blueprint_create(kind="foundation", name=name, foundation_types=["manual"], **kwargs)


def sbp(name, **kwargs):
    return blueprint_create(kind="structure", name=name, **kwargs)


def parent_names(blueprint):
    return [bp.name for bp in blueprint.parent_list()]


def test_create_sets_parents_in_the_given_order():
    """Parents are stored in list order (position = index)."""
    fbp("a")
    fbp("b")
    child = fbp("child", parents=["b", "a"])
    assert parent_names(child) == ["b", "a"]
    blueprint_update(blueprint=child, parents=["a", "b"])
    assert parent_names(child) == ["a", "b"]


def test_update_without_parents_keeps_them():
    """Leaving `parents` out of an update keeps the current ones."""
    fbp("a")
    child = fbp("child", parents=["a"])
    blueprint_update(blueprint=child, description="changed")
    assert parent_names(child) == ["a"]
    assert BluePrint.objects.get(name="child").description == "changed"


def test_unknown_parent_is_an_error_on_parents():
    """A parent name that does not exist is refused on `parents`, naming it."""
    with pytest.raises(ValidationError) as info:
        fbp("child", parents=["ghost"])
    assert "ghost" in info.value.message_dict["parents"][0]


def test_parent_of_the_other_kind_is_refused():
    """A structure blueprint cannot inherit from a foundation blueprint (nor the reverse)."""
    fbp("hardware")
    with pytest.raises(ValidationError) as info:
        sbp("web", parents=["hardware"])
    assert "hardware" in info.value.message_dict["parents"][0]
    sbp("base")
    with pytest.raises(ValidationError) as info:
        fbp("metal", parents=["base"])
    assert "not foundation" in info.value.message_dict["parents"][0]


def test_self_parent_is_a_cycle():
    """A blueprint listing itself as a parent is refused."""
    node = sbp("node")
    with pytest.raises(ValidationError) as info:
        blueprint_update(blueprint=node, parents=["node"])
    assert "cycle" in info.value.message_dict["parents"][0]


def test_cycle_is_refused_naming_the_blueprint_that_closes_it():
    """Adding a parent that already inherits from the blueprint is refused; the message shows the loop."""
    top = sbp("top")
    sbp("middle", parents=["top"])
    sbp("side")
    sbp("bottom", parents=["side", "middle"])
    with pytest.raises(ValidationError) as info:
        blueprint_update(blueprint=top, parents=["side", "bottom"])
    message = info.value.message_dict["parents"][0]
    assert message.startswith("bottom closes a cycle")
    assert "top -> bottom -> middle -> top" in message
    assert parent_names(top) == []


def test_diamond_inheritance_is_not_a_cycle():
    """Two parents sharing an ancestor is a DAG, not a cycle."""
    sbp("root")
    sbp("left", parents=["root"])
    sbp("right", parents=["root"])
    child = sbp("child", parents=["left", "right"])
    assert [bp.name for bp in child.lineage()] == ["root", "left", "right", "child"]


def test_duplicate_parent_is_refused():
    """A parent cannot be listed twice."""
    sbp("a")
    with pytest.raises(ValidationError) as info:
        sbp("b", parents=["a", "a"])
    assert "parents" in info.value.message_dict


def test_unknown_foundation_type_is_refused():
    """Foundation types must be installed ones; the error names the unknown type and the installed ones."""
    with pytest.raises(ValidationError) as info:
        blueprint_create(kind="foundation", name="x", foundation_types=["manual", "warp-drive"])
    message = info.value.message_dict["foundation_types"][0]
    assert "warp-drive" in message and "manual" in message


@pytest.mark.parametrize(
    "requirements",
    [{"cpu_count_min": "four"}, {"cpus": 4}, {"memory_mb_min": True}, {"disks": "sda"}, ["cpu_count_min"]],
)
def test_bad_hardware_requirements_are_refused(requirements):
    """Hardware requirements must use known keys with values of the right type."""
    with pytest.raises(ValidationError) as info:
        fbp("x", hardware_requirements=requirements)
    assert "hardware_requirements" in info.value.message_dict


def test_good_hardware_requirements_are_kept():
    """Known keys of the right type are saved."""
    blueprint = fbp("x", hardware_requirements={"cpu_count_min": 4, "disks": ["sda"]})
    blueprint.refresh_from_db()
    assert blueprint.hardware_requirements == {"cpu_count_min": 4, "disks": ["sda"]}


def test_kind_specific_fields_are_refused_on_the_other_kind():
    """A structure blueprint has no foundation types, and a foundation blueprint no foundation blueprints."""
    with pytest.raises(ValidationError) as info:
        sbp("web", foundation_types=["manual"])
    assert "foundation_types" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        fbp("metal", foundation_blueprints=["x"])
    assert "foundation_blueprints" in info.value.message_dict


def test_structure_blueprint_foundation_blueprints_by_name():
    """Foundation blueprints are set by name; unknown names are an error on the field."""
    fbp("metal")
    web = sbp("web", foundation_blueprints=["metal"])
    assert [bp.name for bp in web.foundation_blueprint_list.all()] == ["metal"]
    with pytest.raises(ValidationError) as info:
        blueprint_update(blueprint=web, foundation_blueprints=["metal", "cloud"])
    assert "cloud" in info.value.message_dict["foundation_blueprints"][0]


def test_scripts_are_created_updated_and_deleted():
    """`scripts` makes the blueprint's own scripts exactly the given name -> body map."""
    web = sbp("web", scripts={"create": "pass\n", "destroy": "pass\n"})
    blueprint_update(blueprint=web, scripts={"create": "x = 1\n", "upgrade": "pass\n"})
    assert dict(web.scripts.values_list("name", "script")) == {"create": "x = 1\n", "upgrade": "pass\n"}
    blueprint_update(blueprint=web, description="no script change")
    assert web.scripts.count() == 2


def test_script_syntax_error_names_script_line_and_column():
    """A TScript syntax error is refused on `scripts`, naming the script, the line and the column."""
    with pytest.raises(ValidationError) as info:
        sbp("web", scripts={"create": "pass\n", "destroy": "pass\nx = 1 +\n"})
    messages = info.value.message_dict["scripts"]
    assert len(messages) == 1
    assert messages[0].startswith("destroy: line 2, column 8")
    assert not BluePrint.objects.filter(name="web").exists()


def test_bad_script_name_is_an_error_on_scripts():
    """Script names follow the name syntax."""
    with pytest.raises(ValidationError) as info:
        sbp("web", scripts={"no good": "pass\n"})
    assert info.value.message_dict["scripts"][0].startswith("no good:")


def test_script_lookup_follows_the_lineage():
    """A blueprint's own script wins; otherwise the parent listed first (depth first) provides it."""
    sbp("grand", scripts={"create": "pass\n", "backup": "pass\n"})
    sbp("mother", parents=["grand"], scripts={"create": "x = 1\n"})
    sbp("father", scripts={"create": "x = 2\n", "backup": "x = 3\n"})
    child = sbp("child", parents=["mother", "father"], scripts={"destroy": "pass\n"})
    assert [bp.name for bp in child.lineage()] == ["grand", "mother", "father", "child"]
    assert child.get_script("destroy").blueprint.name == "child"
    assert child.get_script("create").blueprint.name == "father"
    assert child.get_script("backup").blueprint.name == "father"
    assert child.get_script("missing") is None
    assert child.script_names() == ["backup", "create", "destroy"]


def test_delete_unused_blueprint_takes_its_scripts():
    """Deleting an unused blueprint removes it and its scripts."""
    blueprint_delete(blueprint=sbp("web", scripts={"create": "pass\n"}))
    assert not Script.objects.exists()


def test_delete_parent_in_use_is_refused():
    """A blueprint that others inherit from cannot be deleted; the error names the child."""
    base = sbp("base")
    sbp("web", parents=["base"])
    with pytest.raises(IntegrityError, match="web"):
        blueprint_delete(blueprint=base)


def test_delete_foundation_blueprint_in_use_is_refused():
    """A foundation blueprint in use by a foundation cannot be deleted; the error names the foundation."""
    foundation = ManualFoundationFactory(locator="rack1-u4")
    with pytest.raises(IntegrityError, match="rack1-u4"):
        blueprint_delete(blueprint=foundation.blueprint)


def test_pxe_create_update_delete():
    """PXEs are created, changed and deleted; the boot script is required."""
    pxe = pxe_create(name="debian", boot_script="#!ipxe\n")
    pxe_update(pxe=pxe, template="preseed")
    assert pxe.template == "preseed"
    with pytest.raises(ValidationError) as info:
        pxe_create(name="empty", boot_script="")
    assert "boot_script" in info.value.message_dict
    pxe_delete(pxe=PXEFactory(name="gone"))
    pxe_delete(pxe=pxe)
