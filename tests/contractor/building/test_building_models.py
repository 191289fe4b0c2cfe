"""Validation rules of foundations, structures, complexes and dependencies."""

import pytest
from django.core.exceptions import ValidationError

from contractor.blueprint.models import BluePrintParent
from contractor.building.choices import StructureState
from contractor.building.models import Dependency, Foundation, Structure
from plugins.manual.models import ManualFoundation
from tests.factories import (
    ComplexFactory,
    DependencyFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)


def test_base_foundation_is_refused(site, fbp):
    """A foundation must be made through a plugin's type, never as the bare base model."""
    with pytest.raises(ValidationError, match="through its type"):
        Foundation(locator="bare", site=site, blueprint=fbp).full_clean()


def test_foundation_blueprint_must_allow_the_type(site):
    """A foundation blueprint limited to other types refuses a manual foundation, naming `blueprint`."""
    other = FoundationBluePrintFactory(name="vm-only", foundation_types=[])
    other.foundation_types = ["virtualbox"]  # as if written before the plugin was removed
    with pytest.raises(ValidationError) as error:
        ManualFoundation(locator="n1", site=site, blueprint=other).full_clean()
    assert "blueprint" in error.value.message_dict


def test_saving_a_type_sets_the_type_column(site, fbp):
    """The base row records the plugin's type name, so the list needs no join to know it."""
    foundation = ManualFoundation.objects.create(locator="n1", site=site, blueprint=fbp)
    assert Foundation.objects.get(pk=foundation.pk).type == "manual"


def test_structure_on_disallowed_foundation_blueprint_is_refused(site, fbp):
    """A structure blueprint that does not list the foundation's blueprint is refused on `blueprint`."""
    foundation = ManualFoundationFactory(site=site, blueprint=fbp)
    unrelated = StructureBluePrintFactory(name="db")
    with pytest.raises(ValidationError) as error:
        Structure(hostname="db1", site=site, blueprint=unrelated, foundation=foundation).full_clean()
    assert "blueprint" in error.value.message_dict


def test_structure_allowed_through_blueprint_inheritance(site, fbp):
    """Allowed foundation blueprints are inherited both by structure blueprints and by foundation blueprints."""
    parent_sbp = StructureBluePrintFactory(name="base-linux", foundation_blueprints=[fbp])
    child_sbp = StructureBluePrintFactory(name="web-linux")
    BluePrintParent.objects.create(child=child_sbp, parent=parent_sbp, position=0)
    child_fbp = FoundationBluePrintFactory(name="big-server")
    BluePrintParent.objects.create(child=child_fbp, parent=fbp, position=0)
    foundation = ManualFoundationFactory(site=site, blueprint=child_fbp)
    Structure(hostname="web1", site=site, blueprint=child_sbp, foundation=foundation).full_clean()


def test_hostname_unique_per_site_only(site, sbp, fbp):
    """Two structures may share a hostname in different sites but not in the same one."""
    StructureFactory(hostname="web1", site=site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp))
    other_site = SiteFactory(name="prod-west")
    elsewhere = Structure(
        hostname="web1", site=other_site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp)
    )
    elsewhere.full_clean()
    same = Structure(hostname="web1", site=site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp))
    with pytest.raises(ValidationError):
        same.full_clean()


def test_dependency_needs_exactly_one_source(db):
    """A dependency waits on a structure or on a dependency: neither or both is refused on `structure`."""
    structure = StructureFactory()
    with pytest.raises(ValidationError) as neither:
        Dependency().full_clean()
    assert "structure" in neither.value.message_dict
    other = DependencyFactory(structure=structure)
    with pytest.raises(ValidationError) as both:
        Dependency(structure=structure, dependency=other).full_clean()
    assert "structure" in both.value.message_dict


def test_dependency_cycle_is_refused(db):
    """A dependency may not (through a chain) wait on itself."""
    first = DependencyFactory()
    second = Dependency.objects.create(dependency=first)
    first.structure, first.dependency = None, second
    with pytest.raises(ValidationError) as error:
        first.full_clean()
    assert "dependency" in error.value.message_dict


def test_dependency_scripts_need_a_structure(db):
    """Naming a create script without a structure to run it on is refused on `script_structure`."""
    with pytest.raises(ValidationError) as error:
        Dependency(structure=StructureFactory(), create_script_name="start").full_clean()
    assert "script_structure" in error.value.message_dict


@pytest.mark.parametrize(
    ("built", "total", "percentage", "state"),
    [(0, 0, 90, "planned"), (2, 3, 67, "planned"), (2, 3, 66, "built"), (3, 3, 100, "built")],
)
def test_complex_state_threshold(db, built, total, percentage, state):
    """A complex is built once at least its built_percentage of members are built."""
    complex_ = ComplexFactory(built_percentage=percentage)
    for index in range(total):
        structure = StructureFactory(state=StructureState.BUILT if index < built else StructureState.PLANNED)
        complex_.memberships.create(structure=structure)
    assert complex_.state == state


def test_structure_refused_when_only_a_sibling_blueprint_is_inherited(site, fbp):
    """Inheriting from a structure blueprint that allows another foundation blueprint does not allow this one."""
    other_fbp = FoundationBluePrintFactory(name="other-server")
    parent_sbp = StructureBluePrintFactory(name="base-linux", foundation_blueprints=[other_fbp])
    child_sbp = StructureBluePrintFactory(name="web-linux")
    BluePrintParent.objects.create(child=child_sbp, parent=parent_sbp, position=0)
    foundation = ManualFoundationFactory(site=site, blueprint=fbp)
    with pytest.raises(ValidationError) as error:
        Structure(hostname="web1", site=site, blueprint=child_sbp, foundation=foundation).full_clean()
    assert "blueprint" in error.value.message_dict
