"""load_blueprints and export_blueprints: TOML/YAML design files, all-or-nothing loads, exact round trips."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contractor.blueprint.models import PXE, BluePrint, BluePrintParent
from contractor.blueprint.services import blueprint_create, pxe_create
from contractor.configuration import merged_config
from contractor.site.models import Site
from contractor.site.services import site_create

pytestmark = pytest.mark.django_db

DESIGN = """\
[[sites]]
name = "east"
parent = "root"
config_values = { ntp = "ntp.east" }

[[sites]]
name = "root"

[[structure_blueprints]]
name = "web"
parents = ["linux", "monitored"]
foundation_blueprints = ["metal"]
scripts = { create = { script_file = "scripts/create.ts" } }

[[structure_blueprints]]
name = "linux"
scripts = { destroy = "pass\\n" }

[[structure_blueprints]]
name = "monitored"

[[foundation_blueprints]]
name = "metal"
foundation_types = ["manual"]

[[pxes]]
name = "debian"
boot_script = "#!ipxe\\n"
"""


def load(*paths, **options):
    out = StringIO()
    call_command("load_blueprints", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def export(**options):
    out = StringIO()
    call_command("export_blueprints", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def design(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "create.ts").write_text("begin()\n  pass\nend\n")
    path = tmp_path / "design.toml"
    path.write_text(DESIGN)
    return path


def empty_database():
    BluePrintParent.objects.all().delete()
    BluePrint.objects.all().delete()
    PXE.objects.all().delete()
    while Site.objects.exists():
        Site.objects.filter(children__isnull=True).delete()


def test_load_creates_everything_with_parents_declared_after_children(design):
    """Objects are created even when a parent comes later in the file; script_file is read relative to it."""
    output = load(design)
    assert "sites: 2 created, 0 updated" in output
    web = BluePrint.objects.get(name="web")
    assert [bp.name for bp in web.parent_list()] == ["linux", "monitored"]
    assert web.get_script("create").script == "begin()\n  pass\nend\n"
    assert web.get_script("destroy").blueprint.name == "linux"
    assert [bp.name for bp in web.structureblueprint.foundation_blueprint_list.all()] == ["metal"]
    assert Site.objects.get(name="east").parent.name == "root"
    assert PXE.objects.get(name="debian").boot_script == "#!ipxe\n"


def test_load_is_idempotent(design):
    """Loading the same file twice updates by name and leaves the same design."""
    load(design)
    first = export()
    assert "sites: 0 created, 2 updated" in load(design)
    assert export() == first
    assert BluePrint.objects.count() == 4


def test_dry_run_saves_nothing(design):
    """--dry-run reports what would happen and rolls it all back."""
    output = load(design, dry_run=True)
    assert "structure_blueprints: 3 created" in output and "nothing was saved" in output
    assert not BluePrint.objects.exists() and not Site.objects.exists()


def test_load_is_all_or_nothing_and_errors_name_file_object_and_field(tmp_path, design):
    """One bad object anywhere stops the whole load; the error names the file, the object and the field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("structure_blueprints:\n- name: broken\n  scripts:\n    create: |\n      x = 1 +\n")
    with pytest.raises(CommandError) as info:
        load(design, bad)
    message = str(info.value)
    assert message.startswith(f"{bad}: structure_blueprints 'broken': scripts: create: line 1, column")
    assert not BluePrint.objects.exists() and not Site.objects.exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[sites]]\nname = "a"\ncolour = "red"\n', "sites 'a': colour: Unknown field"),
        ('[[sites]]\nname = "a"\nparent = "nowhere"\n', "sites 'a': parent: Unknown site nowhere"),
        ('[[structure_blueprints]]\nname = "a"\nparents = "b"\n', "structure_blueprints 'a': parents: Has the wrong"),
        (
            '[[structure_blueprints]]\nname = "a"\nparents = ["b"]\n'
            '[[structure_blueprints]]\nname = "b"\nparents = ["a"]\n',
            "parents: Parents form a cycle: a -> b -> a",
        ),
        ('[[foundation_blueprints]]\nname = "a"\nforndation_types = []\n', "forndation_types: Unknown field"),
        (
            '[[foundation_blueprints]]\nname = "a"\nfoundation_types = ["warp"]\n',
            "foundation_types: Unknown foundation",
        ),
        ('[[pxes]]\nname = "a"\n', "pxes 'a': boot_script:"),
        ('[[structure_blueprints]]\nname = "a"\nscripts = { create = 3 }\n', "scripts.create: give the script"),
        (
            '[[structure_blueprints]]\nname = "a"\nscripts = { c = { script_file = "gone.ts" } }\n',
            "cannot read gone.ts",
        ),
        ("[[blueprints]]\nname = 'a'\n", "unknown section(s) blueprints"),
        ("[[sites]\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_object_and_field(tmp_path, text, expected):
    """Each kind of mistake is reported against the file, with the object and the field."""
    path = tmp_path / "design.toml"
    path.write_text(text)
    with pytest.raises(CommandError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


def test_existing_blueprint_of_the_other_kind_is_refused(tmp_path):
    """A name already used by a blueprint of the other kind is an error on `name`."""
    blueprint_create(kind="foundation", name="metal", foundation_types=["manual"])
    path = tmp_path / "d.yml"
    path.write_text("structure_blueprints:\n- name: metal\n")
    with pytest.raises(CommandError, match="structure_blueprints 'metal': name: metal already exists as a foundation"):
        load(path)


def test_same_object_in_two_files_is_refused(tmp_path, design):
    """An object defined in two files is an error naming both."""
    other = tmp_path / "other.yaml"
    other.write_text("sites:\n- name: root\n")
    with pytest.raises(CommandError, match=f"{other}: sites 'root': name: also defined in {design}"):
        load(design, other)


def test_unknown_file_type_is_refused(tmp_path):
    """Only .toml, .yaml and .yml files are read."""
    path = tmp_path / "design.json"
    path.write_text("{}")
    with pytest.raises(CommandError, match="unknown format"):
        load(path)


def make_design():
    root = site_create(name="root", description="all of it", config_values={"dns": ["10.0.0.1", "10.0.0.2"]})
    site_create(name="east", parent=root, config_values={"ntp": "ntp.east", ">search": "east.example"})
    pxe_create(name="debian", boot_script="#!ipxe\nkernel {{ __pxe_location }}/linux\nboot\n", template="d-i x\n")
    blueprint_create(
        kind="foundation",
        name="metal",
        foundation_types=["manual"],
        hardware_requirements={"cpu_count_min": 4, "disks": ["sda"]},
        scripts={"create": 'begin( description="provision" )\n  pass\nend\n'},
    )
    blueprint_create(kind="structure", name="z-base", config_values={"os": "debian", "port": 22})
    blueprint_create(kind="structure", name="y-monitor")
    blueprint_create(
        kind="structure",
        name="a-web",
        description="web server",
        parents=["z-base", "y-monitor"],
        foundation_blueprints=["metal"],
        scripts={"create": "pass\n", "destroy": "x = 1\nwhile x do\n  x = 0\n"},
    )


@pytest.mark.parametrize("format", ["toml", "yaml"])
def test_export_load_export_round_trip(tmp_path, format):
    """Export, load into an empty database, export again: the same text."""
    make_design()
    first = export(format=format)
    empty_database()
    assert not Site.objects.exists() and not BluePrint.objects.exists()
    path = tmp_path / f"design.{format}"
    path.write_text(first)
    load(path)
    assert export(format=format) == first
    assert [bp.name for bp in BluePrint.objects.get(name="a-web").parent_list()] == ["z-base", "y-monitor"]


def test_exported_scripts_stay_readable():
    """Multi-line scripts are written as TOML multi-line strings and YAML `|` blocks, not escaped one-liners."""
    make_design()
    assert 'destroy = """\nx = 1\nwhile x do\n  x = 0\n"""' in export(format="toml")
    assert "destroy: |\n      x = 1\n      while x do\n        x = 0\n" in export(format="yaml")


def test_export_to_file_takes_the_format_from_the_suffix(tmp_path):
    """--output FILE writes there, in YAML for a .yaml file."""
    make_design()
    path = tmp_path / "design.yaml"
    export(output=str(path))
    assert path.read_text().startswith("sites:\n- name: east\n")


def test_toml_export_of_null_config_value_says_to_use_yaml():
    """TOML has no null; exporting one explains and suggests YAML."""
    site_create(name="x", config_values={"unset": None})
    with pytest.raises(CommandError, match="--format yaml"):
        export(format="toml")
    assert "unset: null" in export(format="yaml")


def test_toml_export_writes_the_documented_mask(tmp_path):
    """`{"~kernel_args": null}` (the documented mask) exports to TOML; loaded back it still masks the key."""
    base = site_create(name="base", config_values={"kernel_args": "quiet"})
    site_create(name="leaf", parent=base, config_values={"~kernel_args": None, "ntp": "x"})
    text = export(format="toml")
    assert '"~kernel_args" = true' in text
    empty_database()
    (tmp_path / "design.toml").write_text(text)
    load(tmp_path / "design.toml")
    assert export(format="toml") == text
    assert "kernel_args" not in merged_config(Site.objects.get(name="leaf"), reveal_secrets=True)


def test_toml_export_of_another_null_names_the_object_and_key():
    """A null that is not a mask cannot be written: the error names the section, the object and the key path."""
    site_create(name="x", config_values={"ok": 1, "proxy": {"host": "p", "port": None}})
    with pytest.raises(CommandError, match=r"sites 'x': config_values\.proxy\.port; use --format yaml"):
        export(format="toml")
