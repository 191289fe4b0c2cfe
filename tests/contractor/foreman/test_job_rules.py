"""Job creation rules: what may get which job, and errors that name the rule and the object."""

import pytest
from django.core.exceptions import ValidationError

from contractor.building.choices import FoundationState, StructureState
from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import JobLog

pytestmark = pytest.mark.django_db


def _message(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_create_only_what_is_not_built(foundation_with):
    """A built foundation gets no create job; the error names the rule and the locator."""
    foundation = foundation_with(locator="n-built", create="pass\n")
    foundation.state = FoundationState.BUILT
    foundation.save()
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=foundation, script_name="create")
    assert "create only what is not built" in _message(excinfo) and "n-built" in _message(excinfo)


def test_destroy_and_utility_only_what_is_built(foundation_with):
    """Destroy and utility scripts need a built target."""
    foundation = foundation_with(locator="n-planned", destroy="pass\n", reboot="pass\n")
    for name in ("destroy", "reboot"):
        with pytest.raises(ValidationError) as excinfo:
            services.job_create(target=foundation, script_name=name)
        assert f"{name} only what is built" in _message(excinfo) and "n-planned is planned" in _message(excinfo)


def test_one_job_per_target(foundation_with):
    """A second job on a target with an active job is refused, naming the job already there."""
    foundation = foundation_with(locator="n-busy", create="pass\n")
    first = services.job_create(target=foundation, script_name="create")
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=foundation, script_name="create")
    assert "one job per target" in _message(excinfo) and f"job {first.pk}" in _message(excinfo)


def test_missing_script_is_named(foundation_with):
    """A script the blueprint lacks is named with the blueprint."""
    foundation = foundation_with(create="pass\n")
    foundation.state = FoundationState.BUILT
    foundation.save()
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=foundation, script_name="upgrade")
    assert "has no script 'upgrade'" in _message(excinfo) and foundation.blueprint.name in _message(excinfo)


def test_syntax_error_refused(foundation_with):
    """A script that does not parse makes no job."""
    foundation = foundation_with(create="if then\n")
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=foundation, script_name="create")
    assert "the script parses" in _message(excinfo)


def test_structure_create_needs_a_foundation_built_or_being_created(structure_with):
    """A structure on a planned foundation without a create job cannot be created."""
    structure = structure_with(create="pass\n")
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=structure, script_name="create")
    assert "a structure is created on a built foundation" in _message(excinfo)
    assert str(structure.foundation) in _message(excinfo)


def test_structure_create_waits_for_its_foundation(foundation_with, structure_with, run_worker):
    """A structure's create job waits while its foundation's create runs, then runs once it is built."""
    foundation = foundation_with(create="foundation.power_on()\n")
    structure = structure_with(foundation=foundation, create="pass\n")
    foundation_job = services.job_create(target=foundation, script_name="create")
    job = services.job_create(target=structure, script_name="create")
    assert job.state == JobState.WAITING and str(foundation) in job.message
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.WAITING
    services.job_resume(job=foundation_job.__class__.objects.get(pk=foundation_job.pk))
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.WAITING  # rechecked after WAITING_POLL_SECONDS
    job.next_run_at = None
    job.save()
    run_worker()
    job.refresh_from_db()
    structure.refresh_from_db()
    assert job.state == JobState.DONE and structure.state == StructureState.BUILT


def test_foundation_destroy_waits_for_structure_destroy(foundation_with, structure_with, run_worker):
    """A foundation's destroy is refused while its structure is built without a destroy job, and waits with one."""
    foundation = foundation_with(destroy="pass\n")
    structure = structure_with(foundation=foundation, destroy="pass\n")
    Foundation = type(foundation)
    Foundation.objects.filter(pk=foundation.pk).update(state=FoundationState.BUILT, id_map={"serial": "x"})
    type(structure).objects.filter(pk=structure.pk).update(state=StructureState.BUILT)
    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=foundation, script_name="destroy")
    assert "destroy goes top down" in _message(excinfo) and structure.hostname in _message(excinfo)
    old_uuid = structure.config_uuid
    structure_job = services.job_create(target=structure, script_name="destroy")
    foundation_job = services.job_create(target=foundation, script_name="destroy")
    assert foundation_job.state == JobState.WAITING
    run_worker()
    structure_job.refresh_from_db()
    structure.refresh_from_db()
    assert structure_job.state == JobState.DONE and structure.state == StructureState.PLANNED
    assert structure.config_uuid != old_uuid
    foundation_job.refresh_from_db()
    foundation_job.next_run_at = None
    foundation_job.save()
    run_worker()
    foundation_job.refresh_from_db()
    foundation.refresh_from_db()
    assert foundation_job.state == JobState.DONE
    assert (foundation.state, foundation.id_map, foundation.built_at) == (FoundationState.PLANNED, {}, None)


def test_job_log_records_creator(foundation_with, make_user):
    """Creating a job writes its permanent log entry at once."""
    foundation = foundation_with(locator="n-log", create="pass\n")
    job = services.job_create(target=foundation, script_name="create", user=make_user("bob"))
    log = JobLog.objects.get(job_id_ref=job.pk)
    assert (log.target, log.script_name, log.created_by.username, log.outcome) == ("n-log", "create", "bob", "")


def test_dependency_job_runs_on_its_script_structure(structure_with, run_worker):
    """A dependency's create job runs its create script on the script structure once its source is built."""
    from contractor.building.models import Dependency, Structure

    source = structure_with()
    Structure.objects.filter(pk=source.pk).update(state=StructureState.BUILT)
    runner_structure = structure_with(setup="where = structure.hostname\n")
    dependency = Dependency.objects.create(
        structure=source, script_structure=runner_structure, create_script_name="setup"
    )
    job = services.job_create(target=dependency, script_name="create")
    assert job.state == JobState.QUEUED
    run_worker()
    job.refresh_from_db()
    dependency.refresh_from_db()
    assert job.state == JobState.DONE and dependency.state == StructureState.BUILT
    assert job.runner_state["variables"]["where"] == runner_structure.hostname
    with pytest.raises(ValidationError, match="runs only create or destroy"):
        services.job_create(target=dependency, script_name="upgrade")


def test_a_foundation_create_waits_for_its_dependency_until_that_is_built(foundation_with, structure_with):
    """The first step of a foundation's create checks the dependency the claim loaded with the job: while it is not
    built the job waits, saying on what; once it is, the next step runs the script."""
    from contractor.building.models import Dependency
    from contractor.foreman import runner
    from contractor.foreman.models import Job

    foundation = foundation_with(create="pass\n")
    source = structure_with()
    dependency = Dependency.objects.create(structure=source, foundation=foundation)
    job = services.job_create(target=foundation, script_name="create")
    assert runner.job_step(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.message) == (
        JobState.WAITING,
        f"Waiting for dependency {dependency.pk} ({source}) to be built",
    )
    Dependency.objects.filter(pk=dependency.pk).update(state=StructureState.BUILT)
    Job.objects.filter(pk=job.pk).update(next_run_at=None)  # due now rather than at the next re-check
    assert runner.job_step(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_a_job_that_ends_while_the_rules_look_for_it_counts_as_ended(structure_with, monkeypatch):
    """The rules read the target's state, then look for the job that changes it; a job that ends in between (the
    foundation's create building it, the structure's destroy) is not found, and the state must be read again rather
    than the job refused on the copy read before: a structure create and a foundation destroy are taken."""
    from contractor.building.models import Foundation, Structure
    from tests.factories import ScriptFactory

    structure = structure_with(create="pass\n")
    ends_meanwhile = []
    looked_up = services.job_active

    def job_ends_first(script_name, **target):
        for change in ends_meanwhile:
            change()  # another worker's transaction commits now
        return looked_up(script_name, **target)

    monkeypatch.setattr(services, "job_active", job_ends_first)
    built = Foundation.objects.filter(pk=structure.foundation_id)
    ends_meanwhile.append(lambda: built.update(state=FoundationState.BUILT))
    assert services.job_create(target=structure, script_name="create").state == JobState.QUEUED

    Structure.objects.filter(pk=structure.pk).update(state=StructureState.BUILT)
    services.Job.objects.filter(structure=structure).delete()
    ends_meanwhile[:] = [lambda: Structure.objects.filter(pk=structure.pk).update(state=StructureState.PLANNED)]
    foundation = Foundation.objects.get(pk=structure.foundation_id)
    ScriptFactory(blueprint=foundation.blueprint, name="destroy", script="pass\n")
    assert services.job_create(target=foundation, script_name="destroy").state == JobState.QUEUED
