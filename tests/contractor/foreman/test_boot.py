"""Boot endpoints: only the machine being built gets its iPXE script, template and config, and may signal its job."""

import pytest

from contractor.foreman.choices import JobState
from tests.contractor.foreman.factories import JobFactory
from tests.factories import (
    AddressBlockFactory,
    AddressFactory,
    PXEFactory,
    RealNetworkInterfaceFactory,
    SiteFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

MAC = "52:54:00:00:00:20"
ADDRESS = "10.250.0.20"


@pytest.fixture
def machine(settings):
    """A structure web1 at 10.250.0.20 whose provisioning NIC has MAC and a PXE using its config (and a secret)."""
    settings.CONTRACTOR_HOST = "http://contractor.test:8000"
    site = SiteFactory(name="lab", config_values={"installer": "debian", "root_password": "s3cret"})
    pxe = PXEFactory(
        name="debian-net",
        boot_script="#!ipxe\nkernel {{ installer }} pw={{ root_password }} host={{ _hostname }}\n",
        template="d-i passwd/root-password password {{ root_password }}\n",
    )
    structure = StructureFactory(site=site, hostname="web1")
    structure.blueprint.config_values = {"installer_secrets": ["root_password"]}  # the installer sets it
    structure.blueprint.save()
    RealNetworkInterfaceFactory(foundation=structure.foundation, name="eth0", mac=MAC, pxe=pxe)
    block = AddressBlockFactory(site=site, subnet="10.250.0.0", prefix=24)
    AddressFactory(
        address_block=block, offset=20, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    for offset in (100, 101, 102, 110):
        AddressFactory(address_block=block, offset=offset, kind="dynamic")
    return structure


def test_script_by_mac_for_the_machine_at_its_address(client, machine):
    """The machine at its static address gets the rendered iPXE script, with secrets (it is for the machine)."""
    response = client.get(f"/boot/script/?mac={MAC}", REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    assert response.content.decode() == "#!ipxe\nkernel debian pw=s3cret host=web1\n"


def test_script_by_mac_from_another_address_is_404(client, machine):
    """Anyone else asking for that MAC gets 404, not 403: existence is not leaked."""
    assert client.get(f"/boot/script/?mac={MAC}", REMOTE_ADDR="10.250.0.21").status_code == 404
    assert client.get("/boot/script/?mac=52:54:00:00:00:99", REMOTE_ADDR=ADDRESS).status_code == 404


def test_by_address_alone(client, machine):
    """Without a MAC the requester's address alone finds it."""
    assert client.get("/boot/template/", REMOTE_ADDR=ADDRESS).content.decode() == (
        "d-i passwd/root-password password s3cret\n"
    )


def test_by_config_uuid_from_anywhere(client, machine):
    """The structure's config UUID in the URL is enough: script, template and config JSON."""
    base = f"/boot/{machine.config_uuid}"
    assert client.get(f"{base}/script/").content.decode().startswith("#!ipxe\nkernel debian")
    assert "s3cret" in client.get(f"{base}/template/").content.decode()
    config = client.get(f"{base}/config/").json()
    assert config["_hostname"] == "web1" and config["root_password"] == "s3cret"


def test_unknown_config_uuid_is_404(client, machine):
    """A UUID of nothing: 404."""
    assert client.get("/boot/00000000-0000-0000-0000-000000000000/config/").status_code == 404


def test_config_by_address(client, machine):
    """GET /boot/config/ from the machine's address returns its merged config."""
    assert client.get("/boot/config/", REMOTE_ADDR=ADDRESS).json()["installer"] == "debian"
    assert client.get("/boot/config/", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_no_pxe_on_the_interface_is_404(client, machine):
    """A provisioning interface without a PXE has no boot script."""
    machine.foundation.interfaces.update(pxe=None)
    assert client.get(f"/boot/{machine.config_uuid}/script/").status_code == 404


def test_signal_reaches_the_running_job(client, machine):
    """POST signal marks the structure's running job signalled (through foreman's job_signal)."""
    job = JobFactory(foundation=None, structure=machine, state=JobState.RUNNING)
    response = client.post(f"/boot/{machine.config_uuid}/signal/")
    assert response.status_code == 200 and response.json() == {"job": job.pk, "signalled": True}
    job.refresh_from_db()
    assert job.signalled_at is not None


def test_signal_falls_back_to_the_foundation_job(client, machine):
    """With no structure job, the foundation's job (its create waiting for the booted image) is signalled."""
    job = JobFactory(foundation=machine.foundation, state=JobState.RUNNING)
    assert client.post("/boot/signal/", REMOTE_ADDR=ADDRESS).json()["job"] == job.pk
    job.refresh_from_db()
    assert job.signalled_at is not None


def test_signal_without_a_job_or_from_a_stranger_is_404(client, machine):
    """Nothing to signal, or an unknown requester: 404."""
    assert client.post(f"/boot/{machine.config_uuid}/signal/").status_code == 404
    JobFactory(foundation=None, structure=machine, state=JobState.RUNNING)
    assert client.post("/boot/signal/", REMOTE_ADDR="10.9.9.9").status_code == 404


def test_signal_of_a_job_in_error_is_409(client, machine):
    """A job in error cannot be signalled: 409 with the reason."""
    JobFactory(foundation=None, structure=machine, state=JobState.ERROR)
    response = client.post(f"/boot/{machine.config_uuid}/signal/")
    assert response.status_code == 409 and "error" in response.json()["detail"]


def test_pxe_plan_for_the_site(machine):
    """The subcontractor's PXE plan lists the static host and the dynamic pools, each with a boot URL."""
    from tests.contractor.foreman.test_protocol import registered

    _, client = registered("sc1", [machine.site])
    plan = client.get("/api/v1/subcontractor/pxe/?site=lab").json()
    assert plan["static"] == [
        {
            "mac": MAC,
            "address": ADDRESS,
            "netmask": "255.255.255.0",
            "hostname": "web1",
            "boot": f"http://contractor.test:8000/boot/script/?mac={MAC}",
        }
    ]
    assert [(p["start"], p["end"]) for p in plan["dynamic"]] == [
        ("10.250.0.100", "10.250.0.102"),
        ("10.250.0.110",) * 2,
    ]
    assert plan["dynamic"][0]["boot"] == "http://contractor.test:8000/boot/script/?mac=${net0/mac}"
    assert plan["boot_file"] == "undionly.kpxe"
    assert plan["efi_boot_file"] == "ipxe.efi"


def test_pxe_plan_of_another_site_is_refused(machine):
    """A subcontractor may only read the plan of its own sites: 403; an unknown site is a 400."""
    from tests.contractor.foreman.test_protocol import registered

    SiteFactory(name="elsewhere")
    _, client = registered("sc1", [machine.site])
    assert client.get("/api/v1/subcontractor/pxe/?site=elsewhere").status_code == 403
    assert client.get("/api/v1/subcontractor/pxe/?site=nowhere").status_code == 400


def test_pxe_plan_leaves_out_hosts_without_mac_or_address(machine):
    """A structure whose provisioning NIC has no MAC, or that has no address on it, is not in the plan."""
    from tests.contractor.foreman.test_protocol import registered

    no_mac = StructureFactory(site=machine.site)
    RealNetworkInterfaceFactory(foundation=no_mac.foundation, mac="")
    no_address = StructureFactory(site=machine.site)
    RealNetworkInterfaceFactory(foundation=no_address.foundation)
    _, client = registered("sc1", [machine.site])
    assert [h["hostname"] for h in client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"]] == ["web1"]


def test_pxe_plan_stays_within_a_query_budget(machine, django_assert_max_num_queries):
    """The plan costs the same number of queries for 1 host as for 6."""
    from tests.contractor.foreman.test_protocol import registered

    _, client = registered("sc1", [machine.site])
    block = machine.addresses.get().address_block
    for count in (1, 6):
        while len(client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"]) < count:
            structure = StructureFactory(site=machine.site)
            RealNetworkInterfaceFactory(foundation=structure.foundation, name="eth0")
            AddressFactory(
                address_block=block, offset=30 + structure.pk, kind="static", structure=structure, interface_name="eth0"
            )
        with django_assert_max_num_queries(10):
            assert len(client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"]) == count
