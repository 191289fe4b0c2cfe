"""Placing a VM: the least loaded built host of its complex, by the VMs Contractor placed there."""

import pytest
from django.core.exceptions import ValidationError

from contractor.foreman.choices import JobState
from plugins.libvirt.services import libvirt_vm_forget, libvirt_vm_place
from tests.plugins.libvirt.factories import LibvirtFoundationFactory, add_host
from tests.plugins.libvirt.test_libvirt_tasks import Daemon, _job, run

pytestmark = pytest.mark.django_db


def test_vms_spread_over_the_hosts_least_loaded_first(vm_complex):
    """Four VMs on two empty hosts: two each, alternating (ties go by hostname)."""
    hosts = [libvirt_vm_place(foundation=LibvirtFoundationFactory(complex=vm_complex)).hostname for _ in range(4)]
    assert hosts == ["kvm1", "kvm2", "kvm1", "kvm2"]


def test_a_placed_vm_keeps_its_host(vm_complex):
    """Placing again (a create sent again) answers the recorded host, not a new choice."""
    vm = LibvirtFoundationFactory(complex=vm_complex)
    first = libvirt_vm_place(foundation=vm)
    LibvirtFoundationFactory.create_batch(3, complex=vm_complex, host=first)
    assert libvirt_vm_place(foundation=vm) == first


def test_a_destroyed_vm_no_longer_counts(vm_complex):
    """After forget (destroy), the host's load drops: the next VM goes back there."""
    vms = [LibvirtFoundationFactory(complex=vm_complex) for _ in range(3)]
    placed = [libvirt_vm_place(foundation=vm).hostname for vm in vms]
    assert placed == ["kvm1", "kvm2", "kvm1"]
    libvirt_vm_forget(foundation=vms[0])
    libvirt_vm_forget(foundation=vms[2])
    assert libvirt_vm_place(foundation=LibvirtFoundationFactory(complex=vm_complex)).hostname == "kvm1"


def test_only_built_hosts_with_room_take_vms(vm_complex):
    """A planned host is skipped; with max_vms_per_host reached everywhere, placing fails naming the complex."""
    add_host(vm_complex, "kvm0", built=False)
    vm_complex.max_vms_per_host = 1
    vm_complex.save()
    assert {libvirt_vm_place(foundation=LibvirtFoundationFactory(complex=vm_complex)).hostname for _ in range(2)} == {
        "kvm1",
        "kvm2",
    }
    with pytest.raises(ValidationError, match="no built host with room"):
        libvirt_vm_place(foundation=LibvirtFoundationFactory(complex=vm_complex))


def test_no_room_is_a_resumable_script_error(vm_complex):
    """In a job, a full complex stops create() in the error state; after a host is added, reset places it."""
    vm_complex.max_vms_per_host = 1
    vm_complex.save()
    LibvirtFoundationFactory(complex=vm_complex, host=vm_complex.members.get(hostname="kvm1"))
    LibvirtFoundationFactory(complex=vm_complex, host=vm_complex.members.get(hostname="kvm2"))
    job = _job("foundation.create()\n", complex=vm_complex)
    run()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "no built host with room" in job.message
    add_host(vm_complex, "kvm3", uri="qemu+tcp://kvm3/system")
    from contractor.foreman.services import job_reset

    job_reset(job=job)
    run()
    (task,) = Daemon(vm_complex.site).take()
    assert task["parameters"]["uri"] == "qemu+tcp://kvm3/system"


def test_a_host_must_be_a_member_of_the_complex(vm_complex):
    """A VM recorded on a structure outside its complex fails validation on `host`."""
    other = add_host(LibvirtFoundationFactory(complex=vm_complex).complex.__class__.objects.create(
        name="other", site=vm_complex.site), "kvm9")  # fmt: skip
    vm = LibvirtFoundationFactory(complex=vm_complex, host=other)
    with pytest.raises(ValidationError) as raised:
        vm.full_clean()
    assert "host" in raised.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_vms_placed_at_once_count_each_other(on_postgres):
    """Eight VMs placed from eight threads at once on a complex of four hosts: two each (the complex row is
    locked while a VM is placed, so no two placements see the same loads)."""
    import threading

    from django.db import connection

    from tests.plugins.libvirt.factories import LibvirtComplexFactory

    complex_ = LibvirtComplexFactory(name="race")
    for name in ("kvm1", "kvm2", "kvm3", "kvm4"):
        add_host(complex_, name)
    vms = [LibvirtFoundationFactory(complex=complex_) for _ in range(8)]
    barrier, errors, placed = threading.Barrier(len(vms)), [], []

    def worker(vm):
        try:
            barrier.wait()
            placed.append(libvirt_vm_place(foundation=vm).hostname)
        except Exception as error:  # noqa: BLE001 - the assertion below reports whatever a thread hit
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(vm,)) for vm in vms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(placed) == ["kvm1", "kvm1", "kvm2", "kvm2", "kvm3", "kvm3", "kvm4", "kvm4"]
