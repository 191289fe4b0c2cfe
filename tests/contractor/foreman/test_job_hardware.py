"""A create job checks the foundation blueprint's hardware requirements when it locates the machine."""

import pytest

from contractor.building.choices import FoundationState
from contractor.foreman import services
from contractor.foreman.choices import JobState
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory

pytestmark = pytest.mark.django_db

NEEDS = {"cpu_count_min": 2, "memory_mb_min": 2048}


def machine(script: str, id_map=None):
    blueprint = FoundationBluePrintFactory(name="needy", hardware_requirements=NEEDS)
    ScriptFactory(blueprint=blueprint, name="create", script=script)
    return ManualFoundationFactory(locator="n1", blueprint=blueprint, id_map=id_map or {})


def test_no_recorded_hardware_is_an_error_saying_what_is_missing(run_worker, builder_client):
    """With an empty id_map the job errors naming the requirements; recording the hardware and a reset build it."""
    foundation = machine("pass\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    foundation.refresh_from_db()
    assert job.state == JobState.ERROR and foundation.state == FoundationState.PLANNED
    assert "foundation n1 could not be located" in job.message
    assert "no hardware is recorded for n1 (its id_map is empty)" in job.message
    assert "blueprint needy needs cpu_count_min 2, memory_mb_min 2048" in job.message
    assert job.steps[-1]["status"] == "error" and job.steps[-1]["message"] == job.message
    body = {"id_map": {"cpu_count": 4, "memory_mb": 4096}}
    located = builder_client.post("/api/v1/foundations/n1/located/", body, format="json")
    assert located.status_code == 200, located.data
    services.job_reset(job=job)
    run_worker()
    job.refresh_from_db()
    foundation.refresh_from_db()
    assert job.state == JobState.DONE and foundation.state == FoundationState.BUILT


def test_hardware_the_script_records_is_checked(run_worker):
    """An id_map set by the script itself is what the requirements are checked against."""
    foundation = machine("foundation.id_map = { cpu_count = 1, memory_mb = 4096 }\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "cpu_count 1 is below the minimum 2" in job.message


def test_recorded_hardware_that_meets_the_requirements_builds(run_worker):
    """A machine whose recorded hardware meets the blueprint is located and built as before."""
    foundation = machine("pass\n", id_map={"cpu_count": 8, "memory_mb": 8192})
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    foundation.refresh_from_db()
    assert job.state == JobState.DONE and foundation.state == FoundationState.BUILT


def test_located_without_hardware_is_refused_against_requirements(builder_client):
    """POST located/ with no id_map on a machine with nothing recorded is a 400 on id_map saying what is missing."""
    machine("pass\n")
    response = builder_client.post("/api/v1/foundations/n1/located/", {}, format="json")
    assert response.status_code == 400
    assert "no hardware is recorded for n1" in str(response.data["id_map"])
