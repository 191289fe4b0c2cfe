"""The libvirt plugin: its types, API (complexes and VM foundations), config, admin and shipped blueprints."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command

from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.building.admin import FoundationTypeAdmin
from contractor.configuration import merged_config
from contractor.plugins import foundation_types
from plugins.libvirt.models import LibvirtComplex, LibvirtFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory
from tests.plugins.libvirt.factories import LibvirtFoundationFactory
from tscript import parse

pytestmark = pytest.mark.django_db
BLUEPRINTS = Path(__file__).resolve().parents[3] / "plugins" / "libvirt" / "blueprints.toml"


def test_libvirt_is_a_foundation_type_and_installed_by_default(settings):
    """The plugin mechanism finds LibvirtFoundation as type `libvirt`; the default plugin list has it."""
    assert foundation_types()["libvirt"] is LibvirtFoundation
    assert "plugins.libvirt" in settings.INSTALLED_APPS


def _complex(client, **extra):
    SiteFactory(name="lab")
    return client.post("/api/v1/libvirt-complexes/", {"name": "vmc", "site": "lab", **extra}, format="json")


def test_api_creates_a_libvirt_complex_listed_with_every_complex(infra_client):
    """POST /libvirt-complexes/ makes a LibvirtComplex; it shows its limit and VM count, and is a complex too."""
    response = _complex(infra_client, max_vms_per_host=4)
    assert response.status_code == 201, response.data
    assert (response.data["max_vms_per_host"], response.data["vm_count"]) == (4, 0)
    assert LibvirtComplex.objects.get(name="vmc").max_vms_per_host == 4
    assert infra_client.get("/api/v1/complexes/vmc/").data["state"] == "planned"
    assert infra_client.get("/api/v1/libvirt-complexes/vmc/").data["vm_count"] == 0


def test_api_validation_names_the_field(infra_client):
    """A negative limit is a 400 on max_vms_per_host."""
    response = _complex(infra_client, max_vms_per_host=-1)
    assert response.status_code == 400 and "max_vms_per_host" in response.data


def test_api_creates_a_vm_foundation_on_a_complex_by_name(infra_client, builder_client):
    """A libvirt foundation names its complex; the host and libvirt UUID are shown but not written."""
    _complex(infra_client)
    FoundationBluePrintFactory(name="bp-vm", foundation_types=["libvirt"])
    body = {"type": "libvirt", "locator": "vm1", "site": "lab", "blueprint": "bp-vm", "complex": "vmc"}
    chosen = {**body, "libvirt_uuid": "00000000-0000-0000-0000-000000000001"}
    refused = builder_client.post("/api/v1/foundations/", chosen, format="json")  # read-only: a 400 naming it
    assert refused.status_code == 400 and list(refused.data) == ["libvirt_uuid"]
    response = builder_client.post("/api/v1/foundations/", body, format="json")
    assert response.status_code == 201, response.data
    vm = LibvirtFoundation.objects.get(locator="vm1")
    assert response.data["complex"] == "vmc" and response.data["host"] is None
    assert response.data["libvirt_uuid"] == str(vm.libvirt_uuid) != chosen["libvirt_uuid"]
    missing = builder_client.post("/api/v1/foundations/", {**body, "locator": "vm2", "complex": "nope"}, format="json")
    assert missing.status_code == 400 and "complex" in missing.data
    types = {t["type"]: t for t in builder_client.get("/api/v1/foundations/types/").data}
    assert [f["name"] for f in types["libvirt"]["fields"]] == ["complex", "host", "libvirt_uuid"]


def test_config_attributes(vm_complex):
    """_libvirt_complex, _libvirt_host and _libvirt_uuid are in the merged config."""
    vm = LibvirtFoundationFactory(complex=vm_complex, host=vm_complex.members.get(hostname="kvm2"))
    config = merged_config(vm, reveal_secrets=False)
    assert (config["_libvirt_complex"], config["_libvirt_host"]) == ("vmc", "kvm2")
    assert config["_libvirt_uuid"] == str(vm.libvirt_uuid)


def test_admin_pages_render(vm_complex, admin_client):
    """Both admins are registered; their list and change pages render."""
    assert isinstance(admin.site._registry[LibvirtFoundation], FoundationTypeAdmin)
    vm = LibvirtFoundationFactory(complex=vm_complex)
    for url in ("/admin/libvirt/libvirtcomplex/", f"/admin/libvirt/libvirtcomplex/{vm_complex.pk}/change/",
                "/admin/libvirt/libvirtfoundation/", f"/admin/libvirt/libvirtfoundation/{vm.pk}/change/"):  # fmt: skip
        page = admin_client.get(url)
        assert page.status_code == 200, url
    assert str(vm.libvirt_uuid) in page.content.decode()


def test_shipped_blueprints_load_and_parse():
    """plugins/libvirt/blueprints.toml loads; every script parses; linux-vm sits on libvirt-vm; the installer PXE
    record loads its kernel and initrd from the boot files."""
    call_command("load_blueprints", str(BLUEPRINTS))
    vm = FoundationBluePrint.objects.get(name="libvirt-vm")
    assert vm.foundation_types == ["libvirt"] and vm.config_values["libvirt_pxe"] == "contractor-installer"
    linux = StructureBluePrint.objects.get(name="linux-vm")
    assert linux.allows_foundation_blueprint(vm)
    host = StructureBluePrint.objects.get(name="libvirt-host")
    assert host.allows_foundation_blueprint(FoundationBluePrint.objects.get(name="libvirt-host-machine"))
    for blueprint in (vm, linux, host):
        for script in blueprint.scripts.all():
            parse(script.script)
    assert "iputils.wait_for_port" in linux.get_script("create").script
    assert 'foundation.power_state() == "on"' in linux.get_script("create").script
    assert linux.config_values["installer_finish"] == "poweroff"
    assert "signaling.wait()" in vm.get_script("create").script
    uefi = FoundationBluePrint.objects.get(name="libvirt-vm-uefi")
    assert uefi.config_values == {"libvirt_firmware": "uefi"} and linux.allows_foundation_blueprint(uefi)
    assert uefi.get_script("create").script == vm.get_script("create").script  # its parent's scripts
    boot = PXE.objects.get(name="contractor-installer").boot_script
    assert "{{ __boot_files }}contractor-installer/vmlinuz" in boot
    assert "{{ __boot_files }}contractor-installer/initrd.img" in boot
