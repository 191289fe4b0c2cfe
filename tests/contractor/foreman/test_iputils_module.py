"""The `iputils` script module: port checks become iputils tasks for a subcontractor of the target's site."""

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.subcontracting.models import Task
from contractor.utilities.services import address_allocate, address_block_create, interface_create

pytestmark = pytest.mark.django_db


def _built_structure_with_address(foundation_with, structure_with):
    foundation = foundation_with()
    interface_create(foundation=foundation, name="eth0", mac="02:00:00:00:09:01", is_provisioning=True)
    structure = structure_with(foundation=foundation, create="state = iputils.wait_for_port( port=22 )\n")
    block = address_block_create(site=structure.site, name="b", subnet="10.9.0.0/24", gateway="10.9.0.1")
    address_allocate(address_block=block, kind="static", structure=structure, interface_name="eth0", is_primary=True)
    foundation.state = "built"
    foundation.save()
    return structure


def test_wait_for_port_targets_the_primary_address(foundation_with, structure_with, run_worker):
    """Without address=, the task asks the subcontractor to wait on the structure's primary address."""
    structure = _built_structure_with_address(foundation_with, structure_with)
    job = services.job_create(target=structure, script_name="create")
    run_worker()
    task = Task.objects.get(job=job)
    assert (task.module, task.function, task.site_id) == ("iputils", "wait_for_port", structure.site_id)
    assert task.parameters == {"address": "10.9.0.2", "port": 22, "timeout": 300, "interval": 2}


def test_port_check_with_a_bad_port_aborts(foundation_with, run_worker):
    """A port outside 1-65535 aborts the job with a bad parameter error naming the value."""
    foundation = foundation_with(create="iputils.port_check( port=70000, address='127.0.0.1' )\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and "70000" in job.message
    assert not Task.objects.filter(job=job).exists()
