"""The Redfish plugin: its foundation type, API (password write-only), config, admin, remote calls, inventory."""

from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command

from contractor.audit.registry import secret_fields
from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.building.admin import FoundationTypeAdmin
from contractor.configuration import merged_config
from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create
from contractor.foreman.worker import Worker
from contractor.plugins import foundation_types
from contractor.utilities.models import RealNetworkInterface
from plugins.redfish.models import RedfishFoundation
from tests.contractor.foreman.test_protocol import registered
from tests.factories import FoundationBluePrintFactory, ScriptFactory, SiteFactory
from tscript import parse

pytestmark = pytest.mark.django_db
BLUEPRINTS = Path(__file__).resolve().parents[3] / "plugins" / "redfish" / "blueprints.toml"
FACTS = {
    "system_id": "node-0",
    "power_state": "off",
    "dmi": {"vendor": "Acme", "product": "R1", "serial": "SN-1", "uuid": "7F0B6A2E-0000", "sku": None},
    "cpu": {"count": 2, "cores": 16, "model": "Xeon"},
    "memory_mb": 65536,
    "interfaces": [{"name": "1", "mac": "52:54:00:aa:00:01", "speed_mbps": 10000},
                   {"name": "2", "mac": "52:54:00:aa:00:02", "speed_mbps": None}],
}  # fmt: skip


def test_redfish_is_a_foundation_type():
    """The plugin mechanism finds RedfishFoundation as type `redfish`."""
    assert foundation_types()["redfish"] is RedfishFoundation


def _create(client, **extra):
    SiteFactory(name="lab")
    FoundationBluePrintFactory(name="bp-redfish", foundation_types=["redfish"])
    body = {"type": "redfish", "locator": "srv1", "site": "lab", "blueprint": "bp-redfish",
            "bmc_url": "https://10.0.0.5", "bmc_username": "admin"}  # fmt: skip
    return client.post("/api/v1/foundations/", {**body, **extra}, format="json")


def test_api_creates_with_a_password_it_never_shows(builder_client, infra_client):
    """POST takes bmc_password; no response (not even for an infrastructure admin) contains it."""
    response = _create(builder_client, bmc_password="hunter2", system_id="1")
    assert response.status_code == 201, response.data
    assert (response.data["system_id"], response.data["verify_tls"], response.data["ca_bundle"]) == ("1", True, "")
    assert "bmc_password" not in response.data
    assert RedfishFoundation.objects.get(locator="srv1").bmc_password == "hunter2"
    for client in (builder_client, infra_client):
        shown = client.get("/api/v1/foundations/srv1/").content.decode()
        assert "hunter2" not in shown and '"bmc_url":"https://10.0.0.5"' in shown.replace(" ", "")
    listed = builder_client.get("/api/v1/foundations/", {"type": "redfish"}).content.decode()
    assert "srv1" in listed and "hunter2" not in listed


def test_the_password_is_declared_secret():
    """The model lists its secret fields, and the audit log masks the password (its field class says secret)."""
    assert RedfishFoundation.secret_fields == ("bmc_password",)
    assert "bmc_password" in secret_fields(RedfishFoundation)


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"bmc_url": "10.0.0.5"}, "bmc_url"), ({"bmc_url": "ftp://10.0.0.5"}, "bmc_url"),
     ({"bmc_url": "https://"}, "bmc_url"), ({"ca_bundle": "ca.pem"}, "ca_bundle"),
     ({"ca_bundle": "/etc/ca.pem", "verify_tls": False}, "ca_bundle"), ({"verify_tls": "maybe"}, "verify_tls")],
)  # fmt: skip
def test_api_validation_names_the_field(builder_client, extra, field):
    """A URL that is not http(s)://host, or a CA bundle that is relative or unused, is a 400 on its field."""
    response = _create(builder_client, **extra)
    assert response.status_code == 400 and field in response.data, response.data


def test_patch_without_password_keeps_it(builder_client):
    """Changing another field leaves the password alone."""
    _create(builder_client, bmc_password="hunter2")
    response = builder_client.patch("/api/v1/foundations/srv1/", {"verify_tls": False}, format="json")
    assert response.status_code == 200, response.data
    foundation = RedfishFoundation.objects.get(locator="srv1")
    assert (foundation.verify_tls, foundation.bmc_password) == (False, "hunter2")


def test_the_foundation_type_and_its_fields_are_in_the_openapi_schema(viewer_client):
    """The types endpoint lists redfish with its fields; the OpenAPI schema renders with the type installed."""
    types = {row["type"]: row for row in viewer_client.get("/api/v1/foundations/types/").json()}
    assert {field["name"] for field in types["redfish"]["fields"]} >= {"bmc_url", "system_id", "verify_tls"}
    assert viewer_client.get("/api/v1/schema/", {"format": "json"}).status_code == 200


def test_config_attributes_with_the_password_redacted(redfish_foundation, viewer_client):
    """_redfish_* values are in the merged config; the password only when secrets are revealed."""
    foundation = redfish_foundation(bmc_url="https://bmc1.example.com", bmc_password="hunter2", system_id="A")
    config = merged_config(foundation, reveal_secrets=False)
    assert (config["_redfish_url"], config["_redfish_system_id"]) == ("https://bmc1.example.com", "A")
    assert config["_redfish_password"] != "hunter2"
    assert merged_config(foundation, reveal_secrets=True)["_redfish_password"] == "hunter2"
    assert "hunter2" not in viewer_client.get(f"/api/v1/foundations/{foundation.locator}/config/").content.decode()


def test_admin_is_registered_and_hides_the_password(redfish_foundation, admin_client):
    """The type's admin shows the BMC fields but never renders the password, and keeps it when left empty."""
    assert isinstance(admin.site._registry[RedfishFoundation], FoundationTypeAdmin)
    foundation = redfish_foundation(bmc_password="hunter2")
    url = f"/admin/redfish/redfishfoundation/{foundation.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "bmc_url" in page and "hunter2" not in page
    form = {
        "locator": foundation.locator, "site": foundation.site_id, "blueprint": foundation.blueprint_id,
        "class_list": "[]", "id_map": "{}", "bmc_url": "http://10.0.0.7:8000", "bmc_username": "root",
        "bmc_password": "", "system_id": "", "verify_tls": "on", "ca_bundle": "",
    }  # fmt: skip
    assert admin_client.post(url, form).status_code == 302
    foundation.refresh_from_db()
    assert (foundation.bmc_url, foundation.bmc_password) == ("http://10.0.0.7:8000", "hunter2")
    refused = admin_client.post(url, {**form, "bmc_url": "10.0.0.7"})
    assert refused.status_code == 200 and "must be http:// or https://" in refused.content.decode()


def _job(redfish_foundation, create: str, **fields):
    blueprint = FoundationBluePrintFactory(foundation_types=["redfish"])
    ScriptFactory(blueprint=blueprint, name="create", script=create)
    return job_create(target=redfish_foundation(blueprint=blueprint, **fields), script_name="create")


def _run(passes=20):
    worker = Worker(batch=10)
    for _ in range(passes):
        if not worker.run_once():
            break


def _answer(job, modules=("redfish",)):
    """The one task the job is waiting on, as the subcontractor polls it; and a function posting its result."""
    _run()
    _, client = registered("sc1", [job.foundation.site], modules=list(modules))
    (task,) = client.post("/api/v1/subcontractor/poll/", {"modules": {"redfish": 4}}, format="json").json()["tasks"]

    def post(result):
        body = {"cookie": task["cookie"], "result": result}
        assert client.post(f"/api/v1/subcontractor/tasks/{task['id']}/result/", body, format="json").status_code == 200
        _run()
        job.refresh_from_db()

    return task, post


def test_power_on_becomes_a_redfish_task_with_the_bmc_parameters(redfish_foundation):
    """foundation.power_on() is task redfish.power_on with url, credentials, TLS choice and the system id."""
    job = _job(redfish_foundation, "foundation.power_on()\n", system_id="node-0", ca_bundle="/etc/bmc-ca.pem")
    task, _ = _answer(job)
    assert (task["module"], task["function"]) == ("redfish", "power_on")
    assert task["parameters"] == {"url": "https://10.0.0.5", "username": "admin", "password": "secret",
                                  "verify": "/etc/bmc-ca.pem", "system_id": "node-0"}  # fmt: skip


def test_without_tls_checks_or_a_system_id(redfish_foundation):
    """verify_tls off sends verify false; a blank system id is left out (the BMC's only system)."""
    task, _ = _answer(_job(redfish_foundation, "foundation.power_state()\n", verify_tls=False))
    assert task["parameters"]["verify"] is False and "system_id" not in task["parameters"]


@pytest.mark.parametrize(
    ("call", "function", "extra", "result", "value"),
    [
        ('foundation.set_boot( device="pxe" )', "set_boot_device", {"device": "pxe", "persistent": False},
         {"device": "pxe", "persistent": False}, "pxe"),
        ('foundation.set_boot( device="disk", persistent=true )', "set_boot_device",
         {"device": "disk", "persistent": True}, {"device": "disk", "persistent": True}, "disk"),
        ("foundation.power_off()", "power_off", {}, {"state": "off", "changed": True}, "off"),
        ("foundation.power_soft_off()", "soft_off", {}, {"state": "shutdown"}, "shutdown"),
        ("foundation.power_cycle()", "power_cycle", {}, {"state": "cycle"}, "cycle"),
        ("foundation.power_reset()", "reset", {}, {"state": "reset"}, "reset"),
        ("foundation.power_state()", "power_state", {}, {"state": "off"}, "off"),
        ("foundation.link_test()", "link_test", {}, {"ok": True, "state": "on"}, True),
    ],
)  # fmt: skip
def test_each_function_round_trips_through_a_subcontractor(redfish_foundation, call, function, extra, result, value):
    """The task names the daemon's function; its result, posted back, becomes the call's value in the script."""
    literal = "true" if value is True else f'"{value}"'
    job = _job(redfish_foundation, f'x = {call}\nif x != {literal} then fatal_error( msg="got " . x )\n')
    task, post = _answer(job)
    assert task["function"] == function and task["parameters"].items() >= extra.items()
    post(result)
    assert job.state == JobState.DONE, job.message


def test_an_unknown_boot_device_is_refused_before_any_task(redfish_foundation):
    """set_boot( device="floppy" ) aborts the job naming the devices; no task is made."""
    job = _job(redfish_foundation, 'foundation.set_boot( device="floppy" )\n')
    _run()
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and "pxe, disk, cdrom, bios, usb" in job.message
    assert not job.tasks.exists()


def test_inventory_returns_the_facts_and_leaves_the_foundation_alone(redfish_foundation):
    """foundation.inventory() is a plain task: its value is the BMC's facts; id_map stays as it was."""
    job = _job(redfish_foundation, "facts = foundation.inventory()\n")
    task, post = _answer(job)
    assert task["function"] == "inventory"
    post(FACTS)
    assert job.state == JobState.DONE, job.message
    assert RedfishFoundation.objects.get(pk=job.foundation.pk).id_map == {}


def test_record_inventory_fills_id_map_and_the_provisioning_mac(redfish_foundation):
    """foundation.record_inventory() merges the facts into id_map (cpu_count, memory_mb, interfaces, dmi) and
    gives the provisioning interface, which had no MAC, the first NIC's."""
    job = _job(redfish_foundation, "foundation.record_inventory()\n")
    foundation = RedfishFoundation.objects.get(pk=job.foundation.pk)
    foundation.id_map = {"rack": "r1"}
    foundation.save()
    RealNetworkInterface.objects.create(foundation=foundation, name="eth0", is_provisioning=True)
    _, post = _answer(job)
    post(FACTS)
    assert job.state == JobState.DONE, job.message
    foundation.refresh_from_db()
    assert foundation.id_map["rack"] == "r1" and foundation.id_map["redfish_system_id"] == "node-0"
    assert (foundation.id_map["cpu_count"], foundation.id_map["memory_mb"]) == (16, 65536)
    assert [row["mac"] for row in foundation.id_map["interfaces"]] == ["52:54:00:aa:00:01", "52:54:00:aa:00:02"]
    assert foundation.id_map["dmi"] == {"vendor": "Acme", "product": "R1", "serial": "SN-1", "uuid": "7F0B6A2E-0000"}
    assert foundation.interfaces.get(name="eth0").mac == "52:54:00:aa:00:01"


def test_record_inventory_refuses_another_machine(redfish_foundation):
    """A DMI serial other than the recorded one errors the job (resumably) naming both; id_map is unchanged."""
    job = _job(redfish_foundation, "foundation.record_inventory()\n", id_map={"dmi": {"serial": "SN-OLD"}})
    _, post = _answer(job)
    post(FACTS)
    assert job.state == JobState.ERROR
    assert "DMI serial was 'SN-OLD', the BMC now reports 'SN-1'" in job.message
    assert RedfishFoundation.objects.get(pk=job.foundation.pk).id_map == {"dmi": {"serial": "SN-OLD"}}


def test_blueprints_load_and_their_scripts_parse(capsys):
    """plugins/redfish/blueprints.toml: redfish-server (inventory, PXE, power on, wait) and redfish-linux."""
    call_command("load_blueprints", str(BLUEPRINTS))
    server = FoundationBluePrint.objects.get(name="redfish-server")
    assert server.foundation_types == ["redfish"]
    linux = StructureBluePrint.objects.get(name="redfish-linux")
    assert list(linux.foundation_blueprint_list.values_list("name", flat=True)) == ["redfish-server"]
    for blueprint in (server, linux):
        scripts = {script.name: script.script for script in blueprint.scripts.all()}
        assert set(scripts) == {"create", "destroy"}
        for source in scripts.values():
            parse(source)
    create = server.scripts.get(name="create").script
    assert create.index("record_inventory()") < create.index('set_boot( device="pxe" )') < create.index("signaling")
