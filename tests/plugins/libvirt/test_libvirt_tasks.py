"""The libvirt foundation's script functions: the tasks they send (the contract of the `libvirt` module), and
what Contractor records from the answers (host, MACs as interfaces, PXE plan), over the subcontractor protocol."""

import uuid

import pytest

from contractor.blueprint.models import PXE
from contractor.boot.selectors import pxe_plan
from contractor.foreman.choices import JobState
from contractor.foreman.selectors import job_progress
from contractor.foreman.services import job_create
from contractor.foreman.worker import Worker
from contractor.utilities.models import RealNetworkInterface
from plugins.libvirt.models import LibvirtFoundation
from tests.contractor.foreman.test_protocol import registered
from tests.factories import AddressBlockFactory, AddressFactory, ScriptFactory, StructureFactory
from tests.plugins.libvirt.factories import LibvirtFoundationFactory

pytestmark = pytest.mark.django_db


def _job(script: str, **fields):
    foundation = LibvirtFoundationFactory(**fields)
    ScriptFactory(blueprint=foundation.blueprint, name="create", script=script)
    return job_create(target=foundation, script_name="create")


def run(passes=20):
    worker = Worker(batch=10)
    for _ in range(passes):
        if not worker.run_once():
            break


class Daemon:
    """Plays the subcontractor over the protocol: takes the `libvirt` tasks and answers them."""

    def __init__(self, site):
        _, self.client = registered("sc-vm", [site], modules=["libvirt"])

    def take(self) -> list[dict]:
        body = {"modules": {"libvirt": 8}}
        return self.client.post("/api/v1/subcontractor/poll/", body, format="json").json()["tasks"]

    def answer(self, task: dict, result: dict):
        url = f"/api/v1/subcontractor/tasks/{task['id']}/result/"
        response = self.client.post(url, {"cookie": task["cookie"], "result": result}, format="json")
        assert response.status_code == 200, response.content


def created(task: dict, macs=("52:54:00:00:00:01",)) -> dict:
    """What the handler answers a create: the contract's result shape."""
    names = [item["name"] for item in task["parameters"]["interfaces"]]
    interfaces = [{"name": n, "mac": m} for n, m in zip(names, macs, strict=False)]
    params = task["parameters"]
    return {"uuid": params["uuid"], "name": params["name"], "created": True, "interfaces": interfaces,
            "accelerator": "tcg"}  # fmt: skip


def test_create_sends_the_contract_parameters_with_the_documented_defaults(vm_complex):
    """libvirt.create carries uri (the chosen host's libvirt_uri), the stored uuid, the name and the VM spec."""
    job = _job("foundation.create()\n", complex=vm_complex)
    run()
    (task,) = Daemon(vm_complex.site).take()
    foundation = LibvirtFoundation.objects.get(pk=job.foundation_id)
    assert (task["module"], task["function"]) == ("libvirt", "create")
    assert task["parameters"] == {
        "uri": "qemu+tcp://kvm1/system", "uuid": str(foundation.libvirt_uuid), "name": foundation.locator,
        "cpu_count": 1, "memory_mb": 512, "disk_gb": 0, "firmware": "bios", "boot_order": ["network", "hd"],
        "interfaces": [{"name": "eth0", "bridge": "virbr0", "model": "virtio"}],
    }  # fmt: skip
    assert foundation.host.hostname == "kvm1"


def test_the_spec_comes_from_the_merged_config(vm_complex):
    """Blueprint config sets size, firmware, boot order and bridge; planned interfaces (and pinned MACs) are kept."""
    job = _job("foundation.create()\n", complex=vm_complex)
    job.foundation.blueprint.config_values = {
        "cpu_count": 2, "memory_mb": 1024, "disk_gb": 8, "libvirt_bridge": "br9", "libvirt_firmware": "uefi",
        "libvirt_boot_order": ["hd", "network"],
    }  # fmt: skip
    job.foundation.blueprint.save()
    RealNetworkInterface.objects.create(foundation=job.foundation, name="data", mac="52:54:00:aa:bb:cc")
    RealNetworkInterface.objects.create(foundation=job.foundation, name="prov", is_provisioning=True)
    run()
    (task,) = Daemon(vm_complex.site).take()
    params = task["parameters"]
    assert (params["cpu_count"], params["memory_mb"], params["disk_gb"]) == (2, 1024, 8)
    assert (params["firmware"], params["boot_order"]) == ("uefi", ["hd", "network"])
    assert "serial_log" not in params and "disk_dir" not in params and "accelerator" not in params
    assert params["interfaces"] == [
        {"name": "prov", "bridge": "br9", "model": "virtio"},
        {"name": "data", "bridge": "br9", "model": "virtio", "mac": "52:54:00:aa:bb:cc"},
    ]


def test_host_options_are_sent_only_when_set(vm_complex):
    """libvirt_serial_dir gives the VM a serial log named by its locator; disk dir and accelerator pass through."""
    job = _job("foundation.create()\n", complex=vm_complex)
    job.foundation.blueprint.config_values = {"libvirt_serial_dir": "/var/log/vms/", "libvirt_disk_dir": "/srv/vm",
                                              "libvirt_accelerator": "tcg"}  # fmt: skip
    job.foundation.blueprint.save()
    run()
    (task,) = Daemon(vm_complex.site).take()
    params = task["parameters"]
    assert params["serial_log"] == f"/var/log/vms/{job.foundation.locator}.log"
    assert (params["disk_dir"], params["accelerator"]) == ("/srv/vm", "tcg")


def test_a_bad_spec_value_is_a_script_error_with_its_position(vm_complex):
    """A memory size that is not a number ends the job (a bad parameter) at the create call, naming the value."""
    job = _job("pass\nfoundation.create()\n", complex=vm_complex)
    job.foundation.blueprint.config_values = {"memory_mb": "lots"}
    job.foundation.blueprint.save()
    run()
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and "memory_mb" in job.message
    assert job_progress(job)["line"] == 2


def test_the_answer_becomes_the_interfaces_and_the_pxe_plan(vm_complex):
    """The MACs libvirt chose become the foundation's interfaces, the first one provisioning with the blueprint's
    PXE record; the site's PXE plan then hands the planned address to that MAC (PXE applies unchanged)."""
    PXE.objects.create(name="contractor-installer", boot_script="#!ipxe\n")
    job = _job("x = foundation.create()\n", complex=vm_complex)
    job.foundation.blueprint.config_values = {"libvirt_pxe": "contractor-installer"}
    job.foundation.blueprint.save()
    structure = StructureFactory(hostname="vm1", site=vm_complex.site, foundation=job.foundation)
    block = AddressBlockFactory(site=vm_complex.site, subnet="10.9.0.0", prefix=24)
    AddressFactory(
        address_block=block, offset=10, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    run()
    daemon = Daemon(vm_complex.site)
    (task,) = daemon.take()
    daemon.answer(task, created(task, macs=("52:54:00:12:34:56",)))
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    foundation = LibvirtFoundation.objects.get(pk=job.foundation_id)
    (interface,) = foundation.interfaces.all()
    assert (interface.name, interface.mac, interface.is_provisioning) == ("eth0", "52:54:00:12:34:56", True)
    assert interface.pxe.name == "contractor-installer"
    assert foundation.id_map["accelerator"] == "tcg" and foundation.id_map["host"] == "kvm1"
    (host,) = pxe_plan(vm_complex.site)["static"]
    assert (host["mac"], host["address"], host["hostname"]) == ("52:54:00:12:34:56", "10.9.0.10", "vm1")


def test_an_answer_for_another_vm_is_refused(vm_complex):
    """A create result naming another UUID is a resumable script error, and records nothing."""
    job = _job("foundation.create()\n", complex=vm_complex)
    run()
    daemon = Daemon(vm_complex.site)
    (task,) = daemon.take()
    daemon.answer(task, {**created(task), "uuid": str(uuid.uuid4())})
    run()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "answered for VM" in job.message
    assert not RealNetworkInterface.objects.filter(foundation_id=job.foundation_id).exists()


@pytest.mark.parametrize(
    ("call", "function", "extra", "result", "value"),
    [
        ("foundation.power_on()", "start", {}, {"state": "on"}, "on"),
        ("foundation.power_off()", "power_off", {}, {"state": "off"}, "off"),
        ("foundation.power_soft_off()", "shutdown", {}, {"state": "on"}, "on"),
        ("foundation.power_reset()", "reset", {}, {"state": "on"}, "on"),
        ("foundation.power_state()", "power_state", {}, {"state": "off"}, "off"),
        ('foundation.set_boot( device="disk" )', "set_boot", {"boot_order": ["hd", "network"]},
         {"boot_order": ["hd", "network"]}, None),
        ('foundation.set_boot( boot_order=[ "network" ] )', "set_boot", {"boot_order": ["network"]},
         {"boot_order": ["network"]}, None),
    ],
)  # fmt: skip
def test_each_function_is_a_libvirt_task_on_the_vms_host(vm_complex, call, function, extra, result, value):
    """After create, every call names the host's uri and the VM's uuid; its answer is the call's value."""
    check = f'if x != "{value}" then fatal_error( msg="got " . x )\n' if value else ""
    job = _job(f"foundation.create()\nx = {call}\n{check}", complex=vm_complex)
    run()
    daemon = Daemon(vm_complex.site)
    (first,) = daemon.take()
    daemon.answer(first, created(first))
    run()
    (task,) = daemon.take()
    assert task["function"] == function
    assert task["parameters"] == {"uri": "qemu+tcp://kvm1/system", "uuid": first["parameters"]["uuid"], **extra}
    daemon.answer(task, result)
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message


def test_a_call_before_create_is_refused(vm_complex):
    """power_on on a VM that was never placed is a script error (there is no host to ask)."""
    job = _job("foundation.power_on()\n", complex=vm_complex)
    run()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "create() first" in job.message


def test_destroy_frees_the_host_and_the_macs_libvirt_chose(vm_complex):
    """destroy answers {destroyed}; the host is released and generated MACs cleared, a pinned MAC stays."""
    job = _job("foundation.create()\nfoundation.destroy()\n", complex=vm_complex)
    RealNetworkInterface.objects.create(foundation=job.foundation, name="data", mac="52:54:00:aa:bb:cc")
    RealNetworkInterface.objects.create(foundation=job.foundation, name="eth0", is_provisioning=True)
    run()
    daemon = Daemon(vm_complex.site)
    (task,) = daemon.take()
    daemon.answer(task, created(task, macs=("52:54:00:00:00:07", "52:54:00:aa:bb:cc")))
    run()
    (task,) = daemon.take()
    assert task["function"] == "destroy"
    daemon.answer(task, {"destroyed": True})
    run()
    foundation = LibvirtFoundation.objects.get(pk=job.foundation_id)
    assert foundation.host is None
    assert dict(foundation.interfaces.values_list("name", "mac")) == {"eth0": "", "data": "52:54:00:aa:bb:cc"}
