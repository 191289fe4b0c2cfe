"""State changes of foundations and structures, and the write services behind the API."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractor.blueprint.models import BluePrintParent
from contractor.building import services, statements
from contractor.building.choices import FoundationState, StructureState
from contractor.db import _prepared_forms
from plugins.manual.models import ManualFoundation
from tests.factories import ComplexFactory, FoundationBluePrintFactory, ManualFoundationFactory, StructureFactory

ID_MAP = {
    "cpu_count": 8,
    "memory_mb": 32768,
    "pci_devices": [{"vendor": "8086", "product": "1572"}],
    "disks": ["sda", "sdb"],
    "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01"}, "eth1"],
}


def test_foundation_create_makes_the_types_model(site, fbp):
    """Creating by type name gives the plugin's model with its own fields."""
    foundation = services.foundation_create(
        foundation_type="manual", locator="n1", site=site, blueprint=fbp, location_notes="rack 4"
    )
    assert isinstance(foundation, ManualFoundation)
    assert ManualFoundation.objects.get(locator="n1").location_notes == "rack 4"


def test_foundation_create_unknown_type_names_installed_ones(site, fbp):
    """An unknown type is refused on `type`, listing the installed types."""
    with pytest.raises(ValidationError) as error:
        services.foundation_create(foundation_type="warp-drive", locator="n1", site=site, blueprint=fbp)
    assert "manual" in error.value.message_dict["type"][0]


def test_locate_without_id_map(db):
    """Locating a planned foundation sets its state and located_at and keeps the id_map."""
    foundation = services.foundation_locate(foundation=ManualFoundationFactory())
    assert foundation.state == FoundationState.LOCATED
    assert foundation.located_at is not None
    assert foundation.id_map == {}


def test_locate_stores_a_matching_id_map(db):
    """An id_map that meets every hardware requirement is stored."""
    blueprint = FoundationBluePrintFactory(
        hardware_requirements={
            "cpu_count_min": 4,
            "memory_mb_min": 16384,
            "memory_mb_max": 65536,
            "pci_devices": [{"vendor": "8086"}],
            "disks": ["sda"],
            "interface_names": ["eth0", "eth1"],
        }
    )
    foundation = services.foundation_locate(foundation=ManualFoundationFactory(blueprint=blueprint), id_map=ID_MAP)
    foundation.refresh_from_db()
    assert foundation.id_map == ID_MAP
    assert foundation.state == FoundationState.LOCATED


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ({"cpu_count_min": 16}, "cpu_count 8 is below the minimum 16"),
        ({"memory_mb_max": 1024}, "memory_mb 32768 is above the maximum 1024"),
        ({"pci_devices": [{"vendor": "10de"}]}, "pci_devices lacks"),
        ({"disks": ["nvme0n1"]}, "disks lacks 'nvme0n1'"),
        ({"interface_names": ["eth2"]}, "interface_names lacks 'eth2'"),
    ],
)
def test_locate_refuses_hardware_mismatch(db, requirement, expected):
    """A mismatch is refused on `id_map`, saying what did not match, and the foundation stays planned."""
    foundation = ManualFoundationFactory(blueprint=FoundationBluePrintFactory(hardware_requirements=requirement))
    with pytest.raises(ValidationError) as error:
        services.foundation_locate(foundation=foundation, id_map=ID_MAP)
    assert expected in " ".join(error.value.message_dict["id_map"])
    foundation.refresh_from_db()
    assert foundation.state == FoundationState.PLANNED


def test_locate_twice_is_refused(db):
    """Only a planned foundation can be located."""
    foundation = services.foundation_locate(foundation=ManualFoundationFactory())
    with pytest.raises(ValidationError) as error:
        services.foundation_locate(foundation=foundation)
    assert "state" in error.value.message_dict


def test_built_then_destroyed_clears_the_foundation(db):
    """Built needs located; destroyed returns to planned and forgets located_at, built_at and the id_map."""
    foundation = ManualFoundationFactory()
    with pytest.raises(ValidationError):
        services.foundation_set_built(foundation=foundation)
    services.foundation_locate(foundation=foundation, id_map={"cpu_count": 2})
    built = services.foundation_set_built(foundation=foundation)
    assert built.state == FoundationState.BUILT and built.built_at is not None
    destroyed = services.foundation_set_destroyed(foundation=foundation)
    destroyed.refresh_from_db()
    assert (destroyed.state, destroyed.located_at, destroyed.built_at, destroyed.id_map) == ("planned", None, None, {})


def _built_structure():
    structure = StructureFactory()
    services.foundation_locate(foundation=structure.foundation)
    services.foundation_set_built(foundation=structure.foundation)
    return services.structure_set_built(structure=structure)


def test_structure_built_needs_a_built_foundation(db):
    """A structure cannot be built before its foundation is."""
    with pytest.raises(ValidationError) as error:
        services.structure_set_built(structure=StructureFactory())
    assert "foundation" in error.value.message_dict


def test_structure_built_and_destroyed_regenerates_config_uuid(db):
    """Destroying a structure makes it planned again with a fresh config_uuid."""
    structure = _built_structure()
    assert structure.state == StructureState.BUILT and structure.built_at is not None
    old_uuid = structure.config_uuid
    destroyed = services.structure_set_destroyed(structure=structure)
    destroyed.refresh_from_db()
    assert destroyed.state == StructureState.PLANNED and destroyed.built_at is None
    assert destroyed.config_uuid != old_uuid


def test_foundation_with_built_structure_cannot_be_destroyed(db):
    """The structure on a foundation must be destroyed before the foundation."""
    structure = _built_structure()
    with pytest.raises(ValidationError) as error:
        services.foundation_set_destroyed(foundation=structure.foundation)
    assert "structure" in error.value.message_dict


def test_structure_create_names_hostname_when_taken(site, sbp, fbp):
    """A hostname already used in the site is refused on `hostname`."""
    StructureFactory(hostname="web1", site=site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp))
    with pytest.raises(ValidationError) as error:
        services.structure_create(
            hostname="web1", site=site, blueprint=sbp, foundation=ManualFoundationFactory(blueprint=fbp)
        )
    assert "hostname" in error.value.message_dict


def test_complex_update_replaces_members(db):
    """Giving members replaces the whole member list."""
    complex_ = ComplexFactory()
    first, second, third = StructureFactory(), StructureFactory(), StructureFactory()
    services.complex_update(complex_=complex_, members=[first, second])
    services.complex_update(complex_=complex_, members=[second, third])
    assert set(complex_.members.values_list("pk", flat=True)) == {second.pk, third.pk}


def test_hardware_requirements_are_inherited(db):
    """A foundation blueprint inherits its parents' hardware requirements, its own values winning."""
    parent = FoundationBluePrintFactory(hardware_requirements={"cpu_count_min": 4, "disks": ["sda"]})
    child = FoundationBluePrintFactory(hardware_requirements={"cpu_count_min": 16})
    BluePrintParent.objects.create(child=child, parent=parent, position=0)
    assert services.hardware_requirements(child) == {"cpu_count_min": 16, "disks": ["sda"]}
    foundation = ManualFoundationFactory(blueprint=child)
    with pytest.raises(ValidationError) as error:
        services.foundation_locate(foundation=foundation, id_map={"cpu_count": 8, "disks": []})
    assert error.value.message_dict["id_map"] == [
        "Hardware does not match the blueprint: cpu_count 8 is below the minimum 16",
        "Hardware does not match the blueprint: disks lacks 'sda'",
    ]


def test_a_blueprint_without_parents_is_checked_without_reading_the_inheritance_graph(db):
    """Locating a foundation whose blueprint has no parents checks the blueprint's own requirements; the locked read
    says it inherits nothing, so no query reads the inheritance graph."""
    blueprint = FoundationBluePrintFactory(hardware_requirements={"cpu_count_min": 16})
    foundation = ManualFoundationFactory(blueprint=blueprint)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as error:
        services.foundation_locate(foundation=foundation, id_map={"cpu_count": 8})
    assert error.value.message_dict["id_map"] == [
        "Hardware does not match the blueprint: cpu_count 8 is below the minimum 16"
    ]
    statement = statements.locked_foundation_sql(type(foundation))
    prepared_name = _prepared_forms(statement)[0]  # on PostgreSQL a second use sends only EXECUTE <name>
    locked_read = statement.split(" WHERE ")[0]  # the log shows the values in place of the placeholder
    sent = [query["sql"] for query in captured.captured_queries]
    assert [sql for sql in sent if locked_read in sql or prepared_name in sql], "the locked read ran"
    graph_reads = [sql for sql in sent if "blueprint_blueprintparent" in sql and locked_read not in sql]
    assert graph_reads == [], "only the locked read's EXISTS looks at the blueprint's parents"


def test_malformed_id_map_parts_count_as_missing(db):
    """Hardware lists of the wrong shape in the id_map match nothing rather than failing."""
    blueprint = FoundationBluePrintFactory(hardware_requirements={"interface_names": ["eth0"], "memory_mb_min": 1})
    problems = services.hardware_mismatches(
        services.hardware_requirements(blueprint), {"interfaces": "eth0", "memory_mb": "lots"}
    )
    assert problems == ["memory_mb is missing (the blueprint needs it)", "interface_names lacks 'eth0'"]
