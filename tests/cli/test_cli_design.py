"""`contractor design export|load` with the installed command against a live server, script files read locally."""

import os

import pytest
import yaml

from contractor.blueprint.models import StructureBluePrint
from contractor.site.models import Site

pytestmark = pytest.mark.slow

DESIGN = """\
sites:
  - name: lab
    config_values: {ntp: pool.ntp.org}
structure_blueprints:
  - name: webserver
    scripts:
      create: {script_file: scripts/web-create.tscript}
"""


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and not result.stdout, (result.stdout, result.stderr)
    return lines[0]


def test_load_reads_script_files_beside_the_design_and_export_writes_it_back(admin, cli, tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "web-create.tscript").write_text('message( msg="hello" )\n')
    design = tmp_path / "design.yaml"
    design.write_text(DESIGN)

    dry = cli("design", "load", design, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "structure_blueprints: 1 created, 0 updated" in dry.stdout and "nothing was saved" in dry.stdout
    assert not Site.objects.filter(name="lab").exists()

    loaded = cli("design", "load", design)
    assert loaded.returncode == 0, loaded.stderr
    assert "sites: 1 created, 0 updated" in loaded.stdout
    assert StructureBluePrint.objects.get(name="webserver").scripts.get(name="create").script == (
        'message( msg="hello" )\n'
    )

    out = tmp_path / "export.yaml"
    exported = cli("design", "export", out)
    assert exported.returncode == 0, exported.stderr
    document = yaml.safe_load(out.read_text())
    web = next(item for item in document["structure_blueprints"] if item["name"] == "webserver")
    assert web["scripts"]["create"] == 'message( msg="hello" )\n'
    toml_out = cli("design", "export", "-", "--format", "toml")
    assert toml_out.returncode == 0 and 'name = "lab"' in toml_out.stdout

    again = cli("design", "load", out)
    assert again.returncode == 0, again.stderr
    assert "structure_blueprints: 0 created" in again.stdout


def test_a_server_refusal_is_one_line_naming_section_object_and_field(admin, cli, tmp_path):
    design = tmp_path / "bad.yaml"
    design.write_text("sites:\n  - name: orphan\n    parent: nowhere\n")
    result = cli("design", "load", design)
    assert result.returncode == 1
    assert one_line(result) == "error: sites.orphan.parent: Unknown site nowhere."
    assert not Site.objects.filter(name="orphan").exists()


def test_script_files_may_not_leave_the_design_directory(admin, cli, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0\n")
    folder = tmp_path / "design"
    folder.mkdir()
    os.symlink(outside, folder / "link.tscript")
    for name in ("../secret.txt", str(outside), "link.tscript"):
        design = folder / "d.yaml"
        script = f"{{script_file: '{name}'}}"
        design.write_text(f"structure_blueprints:\n  - name: s\n    scripts:\n      create: {script}\n")
        result = cli("design", "load", design)
        assert result.returncode == 1
        assert "leaves the design file's directory" in one_line(result)
    assert not StructureBluePrint.objects.filter(name="s").exists()


def test_a_file_that_is_not_utf8_is_one_clear_line(admin, cli, tmp_path):
    design = tmp_path / "latin1.yaml"
    design.write_bytes("sites:\n  - name: caf\xe9\n".encode("latin-1"))
    result = cli("design", "load", design)
    assert result.returncode == 1
    assert "is not UTF-8 text" in one_line(result)
    unknown = tmp_path / "design.ini"
    unknown.write_text("[x]\n")
    assert cli("design", "load", unknown).returncode == 2


def test_a_viewer_may_export_but_not_load(server, cli, make_user, tmp_path):
    from contractor.user import roles
    from contractor.user.services import user_token

    viewer = user_token(user=make_user("watcher", roles.VIEWER)).key
    assert cli("login", server, "--token", viewer).returncode == 0
    assert cli("design", "export", tmp_path / "v.json").returncode == 0
    design = tmp_path / "d.json"
    design.write_text('{"sites": [{"name": "viewer-site"}]}')
    refused = cli("design", "load", design)
    assert refused.returncode == 3, refused.stderr
    assert not Site.objects.filter(name="viewer-site").exists()
