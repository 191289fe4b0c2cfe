"""A manual foundation's create job: power functions pause for a person, resume continues, done builds it."""

import pytest

from contractor.building.choices import FoundationState
from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import JobLog

pytestmark = pytest.mark.django_db

CREATE = "foundation.set_boot( device='pxe' )\nfoundation.power_on()\nmessage( msg='powered' )\n"


def test_manual_create_pauses_resumes_and_builds(foundation_with, run_worker, make_user):
    """Each power action pauses with a request naming the machine; after the resumes the foundation is built."""
    foundation = foundation_with(locator="rack1-n1", create=CREATE)
    alice = make_user("alice")
    job = services.job_create(target=foundation, script_name="create", user=alice)
    assert job.state == JobState.QUEUED
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.message) == (JobState.PAUSED, "Please set rack1-n1 to boot from pxe, then resume the job.")
    services.job_resume(job=job)
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.message) == (JobState.PAUSED, "Please power on rack1-n1, then resume the job.")
    services.job_resume(job=job)
    run_worker()
    job.refresh_from_db()
    foundation.refresh_from_db()
    assert job.state == JobState.DONE and job.finished_at is not None
    assert foundation.state == FoundationState.BUILT
    log = JobLog.objects.get(job_id_ref=job.pk)
    assert (log.created_by, log.outcome, log.target, log.target_kind) == (alice, "done", "rack1-n1", "foundation")
    assert log.started_at is not None and log.finished_at is not None


def test_power_state_of_a_manual_foundation_is_unknown(foundation_with, run_worker):
    """foundation.power_state() is 'unknown' for a machine nobody can query."""
    foundation = foundation_with(create="state = foundation.power_state()\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.runner_state["variables"]["state"] == "unknown"


def test_job_state_changes_emit_webhook_events(foundation_with, run_worker):
    """A job emits job.started, job.paused, job.resumed and job.done events naming the job, its target and its site."""
    from contractor.webhooks.models import Event

    foundation = foundation_with(locator="n-events", create="foundation.power_on()\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    services.job_resume(job=job)
    run_worker()
    events = list(Event.objects.filter(target_kind="job", target_id=str(job.pk)).order_by("pk"))
    assert [event.kind for event in events] == ["job.started", "job.paused", "job.resumed", "job.done"]
    assert events[1].payload["data"]["target"] == "n-events" and events[1].site_id == foundation.site_id


def test_job_errors_and_cancels_emit_errored_and_aborted(foundation_with, run_worker):
    """A script's error() is announced as job.errored and a cancel as job.aborted."""
    from contractor.webhooks.models import Event

    foundation = foundation_with(locator="n-errored", create="error( msg='disk missing' )\n")
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.message) == (JobState.ERROR, "disk missing")
    services.job_cancel(job=job)
    kinds = list(
        Event.objects.filter(target_kind="job", target_id=str(job.pk)).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["job.started", "job.errored", "job.aborted"]
