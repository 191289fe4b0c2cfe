"""foundation.discover() in a create job: the type's own power-on, the discovery image ahead of the build script, the
report's fingerprint check; met, the job goes on (the machine told to reboot into its build); missed, it errors."""

import pytest
from django.utils import timezone

from contractor.building.choices import FoundationState
from contractor.discovery.models import DiscoveryRequest
from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.worker import Worker
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from plugins.ipmi.models import IPMIFoundation
from tests.factories import (
    FoundationBluePrintFactory,
    RealNetworkInterfaceFactory,
    ScriptFactory,
    SiteFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

MAC = "52:54:00:dd:00:01"
CREATE = 'foundation.set_boot( device="pxe" )\nfacts = foundation.discover()\nmessage( msg=facts[ "memory_mb" ] )\n'
FACTS = {"cpu_count": 2, "memory_mb": 4000, "interfaces": [{"name": "eth0", "mac": MAC}], "disks": [{"name": "vda"}]}


@pytest.fixture(autouse=True)
def quick(settings, tmp_path):
    settings.FOREMAN_DISCOVERY_POLL_SECONDS = 0
    settings.CONTRACTOR_BOOT_FILES = str(tmp_path)
    (tmp_path / "contractor-installer").mkdir()
    (tmp_path / "contractor-installer" / "vmlinuz").write_bytes(b"kernel")


@pytest.fixture
def foundation():
    """An IPMI machine (power and boot are `ipmi` tasks) with a structure planned on it."""
    blueprint = FoundationBluePrintFactory(name="discovered-server", hardware_requirements={"memory_mb_min": 2048})
    ScriptFactory(blueprint=blueprint, name="create", script=CREATE)
    found = IPMIFoundation.objects.create(
        locator="srv1", site=SiteFactory(name="lab"), blueprint=blueprint, bmc_address="10.0.0.9", bmc_username="u"
    )
    RealNetworkInterfaceFactory(foundation=found, mac=MAC)
    StructureFactory(foundation=found, site=found.site)
    return found


def run(passes=5):
    """A few worker passes (a job polling for its report is runnable at every pass)."""
    worker = Worker(batch=10)
    for _ in range(passes):
        worker.run_once()


def answer(function):
    task = Task.objects.get(function=function, state=TaskState.PENDING)
    task.state, task.result, task.finished_at = TaskState.DONE, {"state": "on", "device": "network"}, timezone.now()
    task.save()


def started(foundation):
    """The job dispatched set_boot, then discover()'s power-on; both answered, it waits for the report."""
    job = services.job_create(target=foundation, script_name="create")
    run()
    answer("set_boot_device")
    run()
    assert DiscoveryRequest.objects.get(foundation=foundation).state == "open"
    answer("power_on")
    run()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and "Waiting for srv1 to report its hardware" in job.message, job.message
    return job


def test_discover_powers_on_boots_discovery_and_goes_on_with_the_report(foundation, client):
    """The power-on is the type's own ipmi task; while the job waits, the MAC boots the discovery image (not the
    structure's script); the report locates the foundation, tells the machine to reboot, and the job finishes with
    the facts as discover()'s value and the request gone."""
    job = started(foundation)
    script = client.get("/boot/script/", {"mac": MAC})
    assert script.status_code == 200 and f"/boot/discovery/ mac={MAC}" in script.text
    reply = client.post("/boot/discovery/", {"mac": MAC, "facts": FACTS}, content_type="application/json").json()
    assert (reply["state"], reply["action"]) == ("matched", "reboot")
    assert client.get("/boot/script/", {"mac": MAC}).status_code == 404  # next boot: its build, not discovery
    run()
    job.refresh_from_db()
    foundation.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert job.runner_state["variables"]["facts"]["memory_mb"] == 4000
    assert foundation.state == FoundationState.BUILT and foundation.id_map["memory_mb"] == 4000
    assert not DiscoveryRequest.objects.exists()
    # it rebooted, into discovery again (no build script for it yet): it is known now, so it is told to power off
    again = client.post("/boot/discovery/", {"mac": MAC, "facts": FACTS}, content_type="application/json").json()
    assert (again["state"], again["action"]) == ("matched", "poweroff")


def test_a_machine_missing_the_fingerprint_errors_the_job_and_a_reset_waits_again(foundation, client):
    """Too little memory: the job errors with the reason; after a reset, the machine's next report (here with the
    blueprint's memory) lets it go on."""
    job = started(foundation)
    low = {**FACTS, "memory_mb": 1000}
    client.post("/boot/discovery/", {"mac": MAC, "facts": low}, content_type="application/json")
    run()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "memory_mb 1000 is below the minimum 2048" in job.message, job.message
    services.job_reset(job=job)
    run()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and "Waiting for srv1" in job.message
    client.post("/boot/discovery/", {"mac": MAC, "facts": FACTS}, content_type="application/json")
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message


def test_discover_is_offered_where_the_type_pxe_boots():
    """IPMI, libvirt and manual foundations offer discover(); a container does not (it has no set_boot)."""
    from contractor.foreman.modules.declared import blueprint_modules

    for types, offered in ((["ipmi"], True), (["libvirt"], True), (["manual"], True), (["container"], False)):
        described = blueprint_modules(FoundationBluePrintFactory(foundation_types=types))
        assert ("discover" in described["foundation"]) is offered, types
