"""What scripts see: the foundation, structure and config modules, read-only where the target does not allow writes."""

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from tests.factories import RealNetworkInterfaceFactory

pytestmark = pytest.mark.django_db


def _run(target, run_worker, script_name="create"):
    job = services.job_create(target=target, script_name=script_name)
    run_worker()
    job.refresh_from_db()
    return job


def test_foundation_values_and_id_map_write(foundation_with, run_worker):
    """A foundation job reads its locator, type, state and interfaces, and may write id_map."""
    script = (
        "where = foundation.locator . '/' . foundation.type . '/' . foundation.state\n"
        "nics = foundation.interfaces\n"
        "foundation.id_map = { serial = 'abc' }\n"
    )
    foundation = foundation_with(locator="n-mod", create=script)
    RealNetworkInterfaceFactory(foundation=foundation, name="eth0", mac="aa:bb:cc:dd:ee:ff", is_provisioning=True)
    job = _run(foundation, run_worker)
    assert job.state == JobState.DONE, job.message
    assert job.runner_state["variables"]["where"] == "n-mod/manual/planned"
    assert job.runner_state["variables"]["nics"] == [
        {"name": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "is_provisioning": True}
    ]
    foundation.refresh_from_db()
    assert foundation.id_map == {"serial": "abc"}


def test_structure_job_sees_structure_and_config_not_foundation_writes(foundation_with, structure_with, run_worker):
    """A structure job sees its hostname, config_uuid and merged config; its foundation's id_map is read-only."""
    foundation = foundation_with()
    type(foundation).objects.filter(pk=foundation.pk).update(state="built")
    structure = structure_with(
        foundation=foundation,
        create="h = structure.hostname\nu = structure.config_uuid\nc = config.get( name='role' )\nr = config.role\n",
        fix="foundation.id_map = {}\n",
    )
    structure.config_values = {"role": "web"}
    structure.save()
    job = _run(structure, run_worker)
    assert job.state == JobState.DONE, job.message
    variables = job.runner_state["variables"]
    assert (variables["h"], variables["u"], variables["c"], variables["r"]) == (
        structure.hostname,
        str(structure.config_uuid),
        "web",
        "web",
    )
    type(structure).objects.filter(pk=structure.pk).update(state="built")
    job = _run(structure, run_worker, script_name="fix")
    assert job.state == JobState.ABORTED and "read-only" in job.message
