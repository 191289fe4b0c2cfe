"""The IPMI plugin: its foundation type, API (password write-only), config, admin, remote power calls, blueprints."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command

from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.building.admin import FoundationTypeAdmin
from contractor.configuration import merged_config
from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create
from contractor.foreman.worker import Worker
from contractor.plugins import foundation_types
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.utilities.models import Address
from plugins.ipmi.models import IPMIFoundation
from tests.contractor.foreman.test_protocol import registered
from tests.factories import (
    AddressBlockFactory,
    FoundationBluePrintFactory,
    ScriptFactory,
    SiteFactory,
    StructureFactory,
)
from tscript import parse

pytestmark = pytest.mark.django_db
BLUEPRINTS = Path(__file__).resolve().parents[3] / "plugins" / "ipmi" / "blueprints.toml"


def test_ipmi_is_a_foundation_type():
    """The plugin mechanism finds IPMIFoundation as type `ipmi`."""
    assert foundation_types()["ipmi"] is IPMIFoundation


def _create(client, **extra):
    SiteFactory(name="lab")
    FoundationBluePrintFactory(name="bp-ipmi", foundation_types=["ipmi"])
    body = {"type": "ipmi", "locator": "srv1", "site": "lab", "blueprint": "bp-ipmi", "bmc_address": "10.0.0.5"}
    return client.post("/api/v1/foundations/", {**body, "bmc_username": "admin", **extra}, format="json")


def test_api_creates_with_a_password_it_never_shows(builder_client, infra_client):
    """POST takes bmc_password; no response (not even for an infrastructure admin) contains it."""
    response = _create(builder_client, bmc_password="hunter2", sol_console=True)
    assert response.status_code == 201, response.data
    assert response.data["bmc_port"] == 623 and response.data["sol_console"] is True
    assert "bmc_password" not in response.data
    assert IPMIFoundation.objects.get(locator="srv1").bmc_password == "hunter2"
    for client in (builder_client, infra_client):
        shown = client.get("/api/v1/foundations/srv1/").content.decode()
        assert "hunter2" not in shown and '"bmc_address":"10.0.0.5"' in shown.replace(" ", "")


def test_api_validation_names_the_field(builder_client):
    """A port out of range is a 400 on bmc_port."""
    response = _create(builder_client, bmc_port=70000)
    assert response.status_code == 400 and "bmc_port" in response.data


def test_patch_without_password_keeps_it(builder_client):
    """Changing another field leaves the password alone."""
    _create(builder_client, bmc_password="hunter2")
    response = builder_client.patch("/api/v1/foundations/srv1/", {"bmc_port": 6230}, format="json")
    assert response.status_code == 200, response.data
    foundation = IPMIFoundation.objects.get(locator="srv1")
    assert (foundation.bmc_port, foundation.bmc_password) == (6230, "hunter2")


def test_config_attributes_with_the_password_redacted(ipmi_foundation, viewer_client):
    """_ipmi_* values are in the merged config; the password only when secrets are revealed."""
    foundation = ipmi_foundation(bmc_address="10.0.0.9", bmc_password="hunter2")
    config = merged_config(foundation, reveal_secrets=False)
    assert (config["_ipmi_address"], config["_ipmi_port"], config["_ipmi_username"]) == ("10.0.0.9", 9623, "admin")
    assert config["_ipmi_password"] != "hunter2"
    assert merged_config(foundation, reveal_secrets=True)["_ipmi_password"] == "hunter2"
    assert "hunter2" not in viewer_client.get(f"/api/v1/foundations/{foundation.locator}/config/").content.decode()


def test_admin_is_registered_and_hides_the_password(ipmi_foundation, admin_client):
    """The type's admin shows the BMC fields but never renders the password, and keeps it when left empty."""
    assert isinstance(admin.site._registry[IPMIFoundation], FoundationTypeAdmin)
    foundation = ipmi_foundation(bmc_password="hunter2")
    url = f"/admin/ipmi/ipmifoundation/{foundation.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "bmc_address" in page and "hunter2" not in page
    form = {
        "locator": foundation.locator, "site": foundation.site_id, "blueprint": foundation.blueprint_id,
        "class_list": "[]", "id_map": "{}", "bmc_address": "10.0.0.7", "bmc_port": 623, "bmc_username": "root",
        "bmc_password": "",
    }  # fmt: skip
    assert admin_client.post(url, form).status_code == 302
    foundation.refresh_from_db()
    assert (foundation.bmc_address, foundation.bmc_password) == ("10.0.0.7", "hunter2")


def _ipmi_job(ipmi_foundation, create: str):
    blueprint = FoundationBluePrintFactory(foundation_types=["ipmi"])
    ScriptFactory(blueprint=blueprint, name="create", script=create)
    return job_create(target=ipmi_foundation(blueprint=blueprint), script_name="create")


def _run(passes=20):
    worker = Worker(batch=10)
    for _ in range(passes):
        if not worker.run_once():
            break


def test_power_functions_become_ipmi_tasks(ipmi_foundation):
    """foundation.power_on() makes a task the ipmi subcontractor gets: module ipmi, the handler's parameters."""
    job = _ipmi_job(ipmi_foundation, "foundation.power_on()\n")
    _run()
    _, client = registered("sc1", [job.foundation.site], modules=["ipmi"])
    (task,) = client.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 4}}, format="json").json()["tasks"]
    assert (task["module"], task["function"]) == ("ipmi", "power_on")
    assert task["parameters"] == {"address": "127.0.0.1", "port": 9623, "username": "admin", "password": "secret"}


@pytest.mark.parametrize(
    ("call", "function", "extra", "result", "value"),
    [
        ('foundation.set_boot( device="pxe" )', "set_boot_device", {"device": "pxe", "persistent": False},
         {"device": "pxe", "persistent": False}, "pxe"),
        ("foundation.power_soft_off()", "soft_off", {}, {"state": "shutdown"}, "shutdown"),
        ("foundation.power_cycle()", "power_cycle", {}, {"state": "cycle"}, "cycle"),
        ("foundation.power_reset()", "reset", {}, {"state": "reset"}, "reset"),
        ("foundation.power_state()", "power_state", {}, {"state": "off"}, "off"),
        ("foundation.link_test()", "link_test", {}, {"ok": True, "state": "on"}, True),
    ],
)  # fmt: skip
def test_each_function_round_trips_through_a_subcontractor(ipmi_foundation, call, function, extra, result, value):
    """The task names the daemon's function; its result, posted back, becomes the call's value in the script."""
    job = _ipmi_job(ipmi_foundation, f'x = {call}\nif x != {_literal(value)} then fatal_error( msg="got " . x )\n')
    _run()
    _, client = registered("sc1", [job.foundation.site], modules=["ipmi"])
    (task,) = client.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 1}}, format="json").json()["tasks"]
    assert task["function"] == function and task["parameters"].items() >= extra.items()
    body = {"cookie": task["cookie"], "result": result}
    assert client.post(f"/api/v1/subcontractor/tasks/{task['id']}/result/", body, format="json").status_code == 200
    _run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert Task.objects.get(pk=task["id"]).state == TaskState.APPLIED


def _literal(value) -> str:
    return "true" if value is True else f'"{value}"'


def test_blueprints_load_and_their_scripts_check(capsys):
    """manage.py load_blueprints reads plugins/ipmi/blueprints.toml: ipmi-server for ipmi, create and destroy."""
    call_command("load_blueprints", str(BLUEPRINTS))
    blueprint = FoundationBluePrint.objects.get(name="ipmi-server")
    assert blueprint.foundation_types == ["ipmi"]
    scripts = {script.name: script.script for script in blueprint.scripts.all()}
    assert set(scripts) == {"create", "destroy"}
    assert 'set_boot( device="pxe" )' in scripts["create"] and "signaling.wait()" in scripts["create"]


def test_ipmi_linux_structure_blueprint_loads_and_its_scripts_parse(capsys):
    """blueprints.toml also ships ipmi-linux: a structure on ipmi-server, SSH on port 22, create and destroy."""
    call_command("load_blueprints", str(BLUEPRINTS))
    assert "structure_blueprints: 1 created" in capsys.readouterr().out
    blueprint = StructureBluePrint.objects.get(name="ipmi-linux")
    assert list(blueprint.foundation_blueprint_list.values_list("name", flat=True)) == ["ipmi-server"]
    assert blueprint.config_values == {"ssh_port": 22}
    scripts = {script.name: script.script for script in blueprint.scripts.all()}
    assert set(scripts) == {"create", "destroy"}
    for source in scripts.values():
        parse(source)  # raises TScriptSyntaxError on a bad script
    assert "iputils.wait_for_port( port=config.ssh_port" in scripts["create"]


def test_ipmi_linux_create_boots_from_disk_and_waits_for_ssh_on_the_primary_address(ipmi_foundation):
    """The structure's create: boot device disk, power on, then wait_for_port on its primary address and port."""
    call_command("load_blueprints", str(BLUEPRINTS))
    foundation = ipmi_foundation(blueprint=FoundationBluePrint.objects.get(name="ipmi-server"), state="built")
    structure = StructureFactory(
        hostname="web1", site=foundation.site, foundation=foundation,
        blueprint=StructureBluePrint.objects.get(name="ipmi-linux"), config_values={"ssh_port": 2222},
    )  # fmt: skip
    block = AddressBlockFactory(site=foundation.site, subnet="10.9.0.0", prefix=24)
    Address.objects.create(
        address_block=block, offset=5, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    job = job_create(target=structure, script_name="create")
    _, sc = registered("sc1", [foundation.site], modules=["ipmi", "iputils"])
    answers = {"set_boot_device": {"device": "disk", "persistent": False}, "power_on": {"state": "on"},
               "wait_for_port": {"state": "open"}}  # fmt: skip
    seen = []
    for _ in range(6):
        _run()
        polled = sc.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 4, "iputils": 4}}, format="json")
        for task in polled.json()["tasks"]:
            parameters = task["parameters"]
            seen.append((task["function"], parameters.get("device") or parameters["port"]))
            body = {"cookie": task["cookie"], "result": answers[task["function"]]}
            sc.post(f"/api/v1/subcontractor/tasks/{task['id']}/result/", body, format="json")
            if task["function"] == "wait_for_port":
                assert task["parameters"]["address"] == "10.9.0.5"
    job.refresh_from_db()
    assert seen == [("set_boot_device", "disk"), ("power_on", 9623), ("wait_for_port", 2222)]  # 9623: the BMC
    assert job.state == JobState.DONE, job.message
    structure.refresh_from_db()
    assert structure.state == "built"


def test_ipmi_server_create_runs_end_to_end(ipmi_foundation, settings, client):
    """The create script: off, PXE, on, the booted image signals, then power is seen off and the job is done."""
    settings.FOREMAN_SIGNAL_POLL_SECONDS = 0
    call_command("load_blueprints", str(BLUEPRINTS))
    foundation = ipmi_foundation(blueprint=FoundationBluePrint.objects.get(name="ipmi-server"))
    job = job_create(target=foundation, script_name="create")
    _, sc = registered("sc1", [foundation.site], modules=["ipmi"])
    answers = {"power_off": {"state": "off"}, "set_boot_device": {"device": "pxe", "persistent": False},
               "power_on": {"state": "on"}, "power_state": {"state": "off"}}  # fmt: skip
    seen = []
    for _ in range(10):
        _run()
        for task in sc.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 4}}, format="json").json()["tasks"]:
            seen.append(task["function"])
            body = {"cookie": task["cookie"], "result": answers[task["function"]]}
            sc.post(f"/api/v1/subcontractor/tasks/{task['id']}/result/", body, format="json")
        job.refresh_from_db()
        if seen[-1:] == ["power_on"] and job.signalled_at is None and "signal" in job.message.lower():
            from contractor.foreman.services import job_signal

            job_signal(job=job)
    job.refresh_from_db()
    assert seen == ["power_off", "set_boot_device", "power_on", "power_state"]
    assert job.state == JobState.DONE, job.message
