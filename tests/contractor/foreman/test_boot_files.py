"""Boot files (kernels, initrds) served read-only at /boot/files/ from CONTRACTOR_BOOT_FILES; nothing else."""

import os

import pytest
from django.test import Client

from contractor.configuration import merged_config
from tests.factories import SiteFactory


@pytest.fixture
def boot_files(tmp_path, settings):
    """A boot-files folder with a kernel, an initrd in a sub-folder, a hidden file, and a secret beside it."""
    root = tmp_path / "boot-files"
    (root / "installer").mkdir(parents=True)
    (root / "installer" / "vmlinuz").write_bytes(b"\x7fkernel" * 1000)
    (root / "installer" / "initrd.img").write_bytes(b"initrd")
    (root / ".hidden").write_text("no")
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", root / "link-out")
    os.symlink(root / "installer" / "initrd.img", root / "link-in")
    settings.CONTRACTOR_BOOT_FILES = str(root)
    return root


def test_a_file_is_served_whole_without_logging_in(boot_files):
    """GET /boot/files/<path> streams the file to an anonymous client (a booting machine); HEAD works too."""
    client = Client()
    response = client.get("/boot/files/installer/vmlinuz")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x7fkernel" * 1000
    assert response["Content-Type"] == "application/octet-stream"
    assert client.head("/boot/files/installer/initrd.img").status_code == 200
    assert b"".join(client.get("/boot/files/link-in").streaming_content) == b"initrd"


@pytest.mark.parametrize(
    "path",
    ["", "installer", "installer/", "nope", ".hidden", "link-out", "installer/../../secret.txt", "../secret.txt",
     "%2e%2e/secret.txt", "installer/%2e%2e/%2e%2e/secret.txt", "installer//vmlinuz", "./installer/vmlinuz"],
)  # fmt: skip
def test_nothing_but_a_file_below_the_folder_is_served(boot_files, path):
    """Folders (no listing), missing or hidden names, `..` in any spelling and links leading out are 404s."""
    response = Client().get("/boot/files/" + path)
    assert response.status_code == 404
    assert b"top secret" not in response.content


def test_only_reads_are_allowed(boot_files):
    """POST is refused."""
    assert Client().post("/boot/files/installer/vmlinuz").status_code == 405


def test_a_relative_folder_is_the_projects(settings):
    """The default var/boot-files is relative to the project."""
    from contractor.boot.selectors import boot_files_root

    settings.CONTRACTOR_BOOT_FILES = "var/boot-files"
    assert boot_files_root() == settings.BASE_DIR / "var" / "boot-files"


@pytest.mark.django_db
def test_boot_scripts_see_where_boot_files_are(settings):
    """Every config has __boot_files, Contractor's /boot/files/ URL, for PXE boot scripts to load kernels from."""
    config = merged_config(SiteFactory(name="lab"), reveal_secrets=False)
    assert config["__boot_files"] == settings.CONTRACTOR_HOST + "/boot/files/"


@pytest.mark.django_db
def test_the_demo_pxe_records_point_at_urls_contractor_serves(boot_files, settings):
    """Rendered for the demo's web01, every URL in the demo's and the plugins' PXE records is Contractor's, and
    each answers once the files are in place (kernels and initrds in the boot-files folder)."""
    import re
    from urllib.parse import urlsplit

    from django.core.management import call_command
    from django.urls import resolve

    from contractor.blueprint.models import PXE
    from contractor.boot.selectors import boot_token
    from contractor.building.models import Structure
    from contractor.foreman.choices import JobState
    from contractor.foreman.models import Job

    call_command("load_demo")
    for name in ("debian/linux", "debian/initrd.gz", "contractor-installer/vmlinuz", "contractor-installer/initrd.img"):
        (boot_files / name).parent.mkdir(exist_ok=True)
        (boot_files / name).write_bytes(b"x")
    web01 = Structure.objects.get(hostname="web01")
    job = Job.objects.create(structure=web01, script_name="create", source="pass\n", state=JobState.RUNNING)
    base = f"/boot/{boot_token(job)}/"
    records = list(PXE.objects.order_by("name"))
    assert {"debian-installer", "contractor-installer"} <= {p.name for p in records}
    client = Client()
    for pxe in records:
        web01.foundation.interfaces.update(pxe=pxe)
        text = client.get(base + "script/").content.decode()  # rendered as the booting machine gets it
        urls = re.findall(r"https?://\S+", text)
        assert urls, pxe.name
        for url in urls:
            if url == settings.CONTRACTOR_HOST:  # the installer's contractor= base URL
                continue
            assert url.startswith(settings.CONTRACTOR_HOST + "/boot/"), url
            parts = urlsplit(url)
            if "/files/" not in parts.path:  # the machine's own endpoints are below its job's boot token
                assert parts.path.startswith(base), url
            if parts.path.endswith("/signal/"):  # POSTed when done
                assert resolve(parts.path).url_name == "boot-signal"
                continue
            response = client.get(parts.path)
            assert response.status_code == 200, (pxe.name, url)
