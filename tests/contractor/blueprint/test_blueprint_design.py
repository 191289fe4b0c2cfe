"""blueprint/design.py: one design format, exported and loaded, round-tripping through an empty database."""

import pytest
from django.core.management import call_command

from contractor.blueprint.design import (
    SECTION_FIELDS,
    DesignError,
    design_export,
    design_file_read,
    design_files_read,
    design_load,
    design_text,
)
from contractor.blueprint.models import PXE, BluePrint, BluePrintParent
from contractor.blueprint.services import blueprint_create, pxe_create
from contractor.building.models import Foundation, Structure
from contractor.site.models import Site
from contractor.site.services import site_create
from contractor.utilities.models import AddressBlock, Network
from tests.contractor.blueprint.test_blueprint_commands import make_design

pytestmark = pytest.mark.django_db


def empty_database():
    """Everything a design holds, deleted (the demo's structures and foundations go first: they use it)."""
    for model in (Structure, Foundation, AddressBlock, Network, BluePrintParent, BluePrint, PXE):
        model.objects.all().delete()
    while Site.objects.exists():
        Site.objects.filter(children__isnull=True).delete()


def every_field():
    """A design using every field of every section, so a field the exporter forgot shows in the round trip."""
    make_design()
    pxe_create(name="menu", description="a boot menu", boot_script="#!ipxe\nmenu\n")
    blueprint_create(
        kind="foundation", name="vm", description="a VM", parents=["metal"], config_values={"~disk_gb": None}
    )


def test_every_field_of_every_section_is_exported():
    """The export holds each section's every field (as SECTION_FIELDS lists them) and leaves empty ones out."""
    every_field()
    document = design_export()
    assert list(document) == list(SECTION_FIELDS)
    for section, items in document.items():
        assert set().union(*(item.keys() for item in items)) == set(SECTION_FIELDS[section]), section
    assert {"name": "y-monitor"} in document["structure_blueprints"]


def test_export_load_export_through_an_empty_database_is_identical():
    """Exported, loaded into an empty database and exported again, the design document is the same."""
    every_field()
    first = design_export()
    empty_database()
    assert design_export() == {}
    summary = design_load(document=first)
    assert summary["foundation_blueprints"] == {"created": 2, "updated": 0}
    assert [bp.name for bp in BluePrint.objects.get(name="vm").lineage()] == ["metal", "vm"]
    assert design_export() == first


@pytest.mark.parametrize("format", ["toml", "yaml"])
def test_the_demo_round_trips_through_files_of_either_format(tmp_path, format):
    """The demo lab (its design and the plugins' blueprints) written to a file and read back is the same design."""
    call_command("load_demo")
    first = design_export()
    path = tmp_path / f"design.{format}"
    path.write_text(design_text(first, format))
    empty_database()
    document, origins = design_files_read([path])
    design_load(document=document)
    assert design_export() == first
    assert origins[("sites", "lab-rack1")] == path


def test_a_mask_is_written_to_toml_as_true_and_read_back_as_a_mask(tmp_path):
    """TOML has no null: a `~key` mask is written as true, and loading it back keeps it a mask."""
    site_create(name="leaf", config_values={"~kernel_args": None})
    path = tmp_path / "design.toml"
    path.write_text(design_text(design_export(), "toml"))
    assert '"~kernel_args" = true' in path.read_text()
    empty_database()
    design_load(document=design_file_read(path))
    assert Site.objects.get(name="leaf").config_values == {"~kernel_args": True}


def test_a_null_toml_cannot_hold_is_a_design_error_naming_where():
    """Any other null cannot be written as TOML: the error names the object and the path to it."""
    site_create(name="x", config_values={"proxy": {"port": None}})
    with pytest.raises(DesignError, match=r"sites 'x': config_values\.proxy\.port; use --format yaml"):
        design_text(design_export(), "toml")
