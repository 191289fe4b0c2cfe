"""Boot endpoints: only below the boot token of a job building it does a machine get its iPXE script, template and
config, and signal its job; the token is void once the job ends and shown to no operator."""

import pytest

from contractor.boot.selectors import boot_token
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


def _booting(machine, on="foundation", state=JobState.RUNNING):
    """A job building the machine (its foundation's, or its structure's) and the folder of its boot endpoints."""
    job = JobFactory(foundation=machine.foundation, state=state) if on == "foundation" else (
        JobFactory(foundation=None, structure=machine, state=state)
    )  # fmt: skip
    return job, f"/boot/{boot_token(job)}"


def test_the_job_boot_token_gives_script_template_and_config(client, machine):
    """Below a running job's boot token: the rendered script, template and config JSON, secrets marked for the
    installer included (they are for the machine), and `_boot_url` naming that folder for the kernel line."""
    job, base = _booting(machine)
    assert client.get(f"{base}/script/").content.decode() == "#!ipxe\nkernel debian pw=s3cret host=web1\n"
    assert client.get(f"{base}/template/").content.decode() == "d-i passwd/root-password password s3cret\n"
    config = client.get(f"{base}/config/").json()
    assert config["_hostname"] == "web1" and config["root_password"] == "s3cret"
    assert config["_boot_url"] == f"http://contractor.test:8000{base}/"


def test_a_planned_structure_with_no_job_gets_404_everywhere(client, machine):
    """Nothing building it: no token, and neither its config UUID, its address nor its MAC finds it."""
    for path in ("script/", "template/", "config/"):
        assert client.get(f"/boot/{machine.config_uuid}/{path}").status_code == 404
        assert client.get(f"/boot/{path}", {"mac": MAC}, REMOTE_ADDR=ADDRESS).status_code == 404
    assert client.post(f"/boot/{machine.config_uuid}/signal/").status_code == 404
    assert client.post("/boot/signal/", REMOTE_ADDR=ADDRESS).status_code == 404


def test_nothing_but_the_token_opens_the_boot_endpoints(client, machine):
    """With a job running, its config UUID, the machine's address and MAC, a forged or altered token: all 404."""
    job, base = _booting(machine)
    token = base.removeprefix("/boot/")
    pk, digest = token.split("-")
    forged = [f"{pk}-{'0' * len(digest)}", f"{pk}-{digest[:-1]}", f"{int(pk) + 1}-{digest}", digest, pk,
              str(machine.config_uuid), f"{pk}-{digest}0"]  # fmt: skip
    for wrong in forged:
        assert client.get(f"/boot/{wrong}/config/").status_code == 404, wrong
        assert client.post(f"/boot/{wrong}/signal/").status_code == 404, wrong
    assert client.get("/boot/script/", {"mac": MAC}, REMOTE_ADDR=ADDRESS).status_code == 404
    assert client.get(f"{base}/config/").status_code == 200


@pytest.mark.parametrize("ended", [JobState.DONE, JobState.ABORTED])
def test_the_token_is_void_once_the_job_ends(client, machine, ended):
    """The token answers while its job runs and is a 404 once the job is done or aborted."""
    job, base = _booting(machine)
    assert client.get(f"{base}/script/").status_code == 200
    job.state = ended
    job.save(update_fields=["state"])
    for path in ("script/", "template/", "config/"):
        assert client.get(f"{base}/{path}").status_code == 404
    assert client.post(f"{base}/signal/").status_code == 404


def test_a_job_not_started_yet_boots_nothing(client, machine):
    """A structure job still waiting for its foundation has a token that opens nothing yet."""
    _, base = _booting(machine, on="structure", state=JobState.WAITING)
    assert client.get(f"{base}/config/").status_code == 404


def test_each_job_has_its_own_token(client, machine):
    """A new job of the same machine gets a new token; the old job's stays void."""
    old, old_base = _booting(machine, state=JobState.DONE)
    new, new_base = _booting(machine)
    assert old_base != new_base and len(new_base.removeprefix("/boot/").split("-")[1]) == 40
    assert client.get(f"{old_base}/config/").status_code == 404 and client.get(f"{new_base}/config/").status_code == 200


def test_viewers_never_see_the_boot_token(client, machine, viewer_client, django_user_model):
    """The token is in no API answer or admin page a viewer (or any operator) reads: jobs, structures, config."""
    job, base = _booting(machine)
    token = base.removeprefix("/boot/")
    api = viewer_client
    structure, foundation = f"/api/v1/structures/{machine.pk}/", f"/api/v1/foundations/{machine.foundation.locator}/"
    paths = [f"/api/v1/jobs/{job.pk}/", "/api/v1/jobs/", structure, f"{structure}config/", f"{foundation}config/"]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        assert token not in response.content.decode() and "_boot_url" not in response.content.decode(), path
    assert api.get("/api/v1/subcontractor/pxe/?site=lab").status_code in (401, 403)
    admin = django_user_model.objects.create_superuser("root")
    client.force_login(admin)
    page = client.get(f"/admin/foreman/job/{job.pk}/change/")
    assert page.status_code == 200 and token not in page.content.decode()


def test_no_pxe_on_the_interface_is_404(client, machine):
    """A provisioning interface without a PXE has no boot script."""
    machine.foundation.interfaces.update(pxe=None)
    _, base = _booting(machine)
    assert client.get(f"{base}/script/").status_code == 404


def test_signal_reaches_the_job_of_the_token(client, machine):
    """POST signal marks the token's job signalled (through foreman's job_signal)."""
    job, base = _booting(machine, on="structure")
    response = client.post(f"{base}/signal/")
    assert response.status_code == 200 and response.json() == {"job": job.pk, "signalled": True}
    job.refresh_from_db()
    assert job.signalled_at is not None


def test_signal_of_a_job_in_error_is_409(client, machine):
    """A job in error has not ended (it may be resumed), but cannot be signalled now: 409 with the reason."""
    _, base = _booting(machine, on="structure", state=JobState.ERROR)
    response = client.post(f"{base}/signal/")
    assert response.status_code == 409 and "error" in response.json()["detail"]


def test_pxe_plan_hands_out_the_boot_url_of_the_job_building_the_host(machine):
    """With a job building it, the host's boot URL is below that job's token: the structure's started job, else its
    foundation's (a structure job still waiting boots nothing); the plan is the subcontractor's only."""
    from tests.contractor.foreman.test_protocol import registered

    _, client = registered("sc1", [machine.site])
    foundation_job, foundation_base = _booting(machine)
    structure_job, _ = _booting(machine, on="structure", state=JobState.WAITING)
    boot = client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"][0]["boot"]
    assert boot == f"http://contractor.test:8000{foundation_base}/script/"
    foundation_job.state, structure_job.state = JobState.DONE, JobState.RUNNING
    foundation_job.save(update_fields=["state"])
    structure_job.save(update_fields=["state"])
    boot = client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"][0]["boot"]
    assert boot == f"http://contractor.test:8000/boot/{boot_token(structure_job)}/script/"


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
            "boot": f"http://contractor.test:8000/boot/script/?mac={MAC}",  # no job: a 404, it boots its disk
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
        with django_assert_max_num_queries(11):  # the jobs booting the hosts are one query for them all
            assert len(client.get("/api/v1/subcontractor/pxe/?site=lab").json()["static"]) == count


@pytest.mark.parametrize(
    ("field", "template"),
    [
        ("boot_script", "#!ipxe\necho {{ 'x' * 10 ** 9 }}\n"),
        ("template", "{{ 3 ** (3 ** 16) }}"),
        ("template", "{% if"),
    ],
)
def test_a_template_that_cannot_render_is_a_clear_422_and_a_note_on_the_job(client, machine, field, template):
    """A PXE template breaking a sandbox bound (or not a template): 422 with an iPXE script that prints why, and
    the job's story says it; nothing else of the job changes."""
    pxe = machine.foundation.interfaces.get().pxe
    setattr(pxe, field, template)
    pxe.save(update_fields=[field])
    job, base = _booting(machine)
    response = client.get(f"{base}/{'script' if field == 'boot_script' else 'template'}/")
    assert response.status_code == 422, response.content
    text = response.content.decode()
    assert (
        text.startswith("#!ipxe\necho The ") and "of PXE debian-net for node-" in text and text.endswith("\nexit 1\n")
    )
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.steps[-1]["status"] == "boot"
    assert job.steps[-1]["message"] == text.splitlines()[1].removeprefix("echo ")


def test_a_config_that_cannot_render_is_a_clear_422_too(client, machine):
    """A config value past a bound: the config, script and template answer 422 saying which value, noted on the job."""
    machine.config_values = {"huge": "{{ 3 ** (3 ** 16) }}"}
    machine.save(update_fields=["config_values"])
    job, base = _booting(machine)
    response = client.get(f"{base}/config/")
    assert response.status_code == 422 and "huge" in response.json()["detail"]
    assert client.get(f"{base}/script/").status_code == 422
    job.refresh_from_db()
    assert "huge" in job.steps[-1]["message"]
