"""The complex rules: a VM's create waits for its complex, a VM host's destroy waits for the VMs placed on it."""

import pytest
from django.core.exceptions import ValidationError

from contractor.blueprint.models import Script
from contractor.building.choices import StructureState
from contractor.building.models import Structure
from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create
from tests.factories import ScriptFactory
from tests.plugins.libvirt.factories import LibvirtComplexFactory, LibvirtFoundationFactory, add_host
from tests.plugins.libvirt.test_libvirt_tasks import Daemon, created, run

pytestmark = pytest.mark.django_db


def _vm(complex_, **fields):
    vm = LibvirtFoundationFactory(complex=complex_, **fields)
    for name in ("create", "destroy"):
        Script.objects.get_or_create(blueprint=vm.blueprint, name=name, defaults={"script": "pass\n"})
    return vm


def _scripts(host: Structure):
    for name in ("create", "destroy"):
        ScriptFactory(blueprint=host.blueprint, name=name, script="pass\n")
        ScriptFactory(blueprint=host.foundation.blueprint, name=name, script="pass\n")


def test_a_vm_on_a_complex_nothing_builds_is_refused():
    """No member built and none being built: the create job is refused, naming the rule and the complex."""
    complex_ = LibvirtComplexFactory(name="empty")
    add_host(complex_, "kvm1", built=False)
    with pytest.raises(ValidationError, match="a hosted foundation is created on a built complex"):
        job_create(target=_vm(complex_), script_name="create")


def test_a_vm_waits_for_its_complex_and_runs_once_the_hosts_are_built():
    """The host's create job builds the complex; the VM's create waits for it meanwhile, then runs to done."""
    complex_ = LibvirtComplexFactory(name="cluster")
    host = add_host(complex_, "kvm1", built=False)
    host.foundation.state = "planned"
    host.foundation.save()
    _scripts(host)
    foundation_job = job_create(target=host.foundation, script_name="create")
    host_job = job_create(target=host, script_name="create")
    vm_job = job_create(target=_vm(complex_), script_name="create")
    assert vm_job.state == JobState.WAITING and vm_job.message == "Waiting for complex cluster to be built"
    run(passes=40)
    for job in (foundation_job, host_job):
        job.refresh_from_db()
        assert job.state == JobState.DONE, job.message
    vm_job.refresh_from_db()
    vm_job.next_run_at = None  # the 5 s re-check of a waiting job is due now
    vm_job.save()
    run()
    vm_job.refresh_from_db()
    assert vm_job.state == JobState.DONE, vm_job.message
    assert complex_.state == StructureState.BUILT


def _due(job):
    """Make a waiting job's next re-check of what it waits for due now (it is every 5 s)."""
    job.refresh_from_db()
    job.next_run_at = None
    job.save()


def _state(job) -> str:
    job.refresh_from_db()
    return job.state


def _vm_with_tasks(complex_, **fields):
    """A VM whose blueprint really creates and destroys it through `libvirt` tasks (answered by a Daemon)."""
    vm = LibvirtFoundationFactory(complex=complex_, **fields)
    Script.objects.create(blueprint=vm.blueprint, name="create", script="foundation.create()\n")
    Script.objects.create(blueprint=vm.blueprint, name="destroy", script="foundation.destroy()\n")
    return vm


def _answer_all(daemon, answer):
    for task in daemon.take():
        daemon.answer(task, answer(task))
    run()


def test_a_host_with_a_built_vm_is_destroyed_only_after_it():
    """A host's destroy is refused while a VM placed on it is built with no destroy job; with one it waits until
    the VM's destroy has taken it off the host (libvirt.destroy answered)."""
    complex_ = LibvirtComplexFactory(name="cluster")
    host = add_host(complex_, "kvm1")
    _scripts(host)
    vm = _vm_with_tasks(complex_, host=host, state="built")
    with pytest.raises(ValidationError, match="destroy goes top down"):
        job_create(target=host, script_name="destroy")
    vm_job = job_create(target=vm, script_name="destroy")
    host_job = job_create(target=host, script_name="destroy")
    assert host_job.state == JobState.WAITING
    assert host_job.message == f"Waiting for foundation {vm} (built) to be destroyed"
    run()
    assert _state(vm_job) == JobState.RUNNING  # its libvirt.destroy is out to the subcontractor
    _due(host_job)
    run()
    assert _state(host_job) == JobState.WAITING, host_job.message
    _answer_all(Daemon(complex_.site), lambda task: {"destroyed": True})
    assert _state(vm_job) == JobState.DONE, vm_job.message
    _due(host_job)
    run()
    assert _state(host_job) == JobState.DONE, host_job.message


def test_a_host_waits_for_a_vm_still_being_built_on_it():
    """A VM whose create has placed it on the host (its libvirt.create out) holds the host's destroy back: the
    host is not destroyed under it, and goes once the VM was built and destroyed."""
    complex_ = LibvirtComplexFactory(name="cluster")
    host = add_host(complex_, "kvm1")
    _scripts(host)
    vm = _vm_with_tasks(complex_)
    create_job = job_create(target=vm, script_name="create")
    run()
    vm.refresh_from_db()
    assert vm.host == host and vm.state == "planned"
    host_job = job_create(target=host, script_name="destroy")
    assert host_job.message == f"Waiting for foundation {vm} (being built) to be destroyed"
    daemon = Daemon(complex_.site)
    _answer_all(daemon, created)
    assert _state(create_job) == JobState.DONE, create_job.message
    _due(host_job)
    run()
    assert _state(host_job) == JobState.WAITING
    assert host_job.message == f"Waiting for foundation {vm} (built) to be destroyed"
    destroy_job = job_create(target=vm, script_name="destroy")
    run()
    _answer_all(daemon, lambda task: {"destroyed": True})
    assert _state(destroy_job) == JobState.DONE, destroy_job.message
    _due(host_job)
    run()
    assert _state(host_job) == JobState.DONE, host_job.message


def test_a_planned_vm_left_on_a_host_refuses_its_destroy():
    """A VM that is planned but still placed (its create stopped half way, its VM may be on the host) with no
    job: the host's destroy is refused, saying to create it again and destroy it first."""
    complex_ = LibvirtComplexFactory(name="cluster")
    host = add_host(complex_, "kvm1")
    _scripts(host)
    vm = _vm_with_tasks(complex_, host=host)
    with pytest.raises(ValidationError, match=f"foundation {vm} is planned but still placed on structure kvm1"):
        job_create(target=host, script_name="destroy")


def test_vms_elsewhere_do_not_hold_a_host_back():
    """A planned VM, or a built one on another host, does not block destroying this host."""
    complex_ = LibvirtComplexFactory(name="cluster")
    host, other = add_host(complex_, "kvm1"), add_host(complex_, "kvm2")
    _scripts(host)
    _vm(complex_, host=other, state="built")
    _vm(complex_)
    assert job_create(target=host, script_name="destroy").state == JobState.QUEUED
