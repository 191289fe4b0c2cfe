"""A job whose step raises again and again (not its script's error: a bug around it) goes to error saying so, instead of
being stepped, and failing, on every pass of every worker."""

import pytest
from django.db import OperationalError
from django.utils import timezone

from contractor.foreman import runner, services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.foreman.worker import STEP_FAILURES_BEFORE_ERROR, Worker
from contractor.webhooks.models import Event

pytestmark = pytest.mark.django_db

POWER = "state = lab.power( port=4 )\n"


def _job(foundation_with) -> Job:
    return services.job_create(target=foundation_with(create=POWER), script_name="create")


def _unreadable(job: Job) -> None:
    """A saved state no runner can restore: every step of the job raises before its script runs."""
    Job.objects.filter(pk=job.pk).update(runner_state={"version": 999}, started_at=timezone.now())


def test_a_step_that_keeps_raising_puts_the_job_in_error_with_the_reason(foundation_with):
    """Passes 1 and 2 leave it queued (the step rolled back); pass 3 puts it in error naming the exception, with an
    entry in its story and a job.errored event; later passes leave it alone, and the other job is stepped."""
    broken, good = _job(foundation_with), _job(foundation_with)
    _unreadable(broken)
    worker = Worker(batch=10)
    for _ in range(STEP_FAILURES_BEFORE_ERROR - 1):
        worker.run_once()
        broken.refresh_from_db()
        assert broken.state == JobState.QUEUED and broken.step_count == 0
    worker.run_once()
    broken.refresh_from_db()
    assert broken.state == JobState.ERROR
    assert broken.message.startswith(f"Stepping the job failed {STEP_FAILURES_BEFORE_ERROR} times in a row (")
    assert "Reset the job once the cause is fixed." in broken.message
    assert broken.steps[-1]["status"] == JobState.ERROR and broken.steps[-1]["message"] == broken.message
    errored = Event.objects.filter(kind="job.errored", target_id=str(broken.pk))
    assert errored.count() == 1 and errored.get().payload["data"]["message"] == broken.message
    assert worker.step_failures == {} and worker.run_once() == 0
    assert Job.objects.get(pk=good.pk).step_count == 1


def test_a_database_error_is_not_the_jobs_fault(foundation_with):
    """A step that failed because the database did (a lost connection) is tried again however often it happens."""
    job = _job(foundation_with)
    worker = Worker()
    for _ in range(STEP_FAILURES_BEFORE_ERROR * 2):
        failed = runner.StepFailed(job.pk)
        failed.__cause__ = OperationalError("server closed the connection unexpectedly")
        worker._step_failed(failed)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and worker.step_failures == {}


def test_a_step_that_goes_through_clears_the_count(foundation_with):
    """Failures count in a row: a job that steps once in between starts again from none."""
    job = _job(foundation_with)
    worker = Worker()
    worker.step_failures[job.pk] = STEP_FAILURES_BEFORE_ERROR - 1
    assert worker.run_once() == 1
    assert worker.step_failures == {}
    job.refresh_from_db()
    assert job.state == JobState.RUNNING


def test_a_job_no_longer_steppable_is_left_as_it_is(foundation_with):
    """An operator paused the job meanwhile: the worker's count does not overrule that."""
    job = _job(foundation_with)
    services.job_pause(job=job)
    assert services.job_step_failed(job_id=job.pk, error=ValueError("x"), times=3) is None
    job.refresh_from_db()
    assert job.state == JobState.PAUSED


def test_resetting_a_job_whose_state_cannot_be_restored_is_a_400_naming_the_state(foundation_with, admin_client_api):
    """The operator resets the job in error: the API says why it cannot be (no 500), and the job is left as it was."""
    job = _job(foundation_with)
    _unreadable(job)
    services.job_step_failed(job_id=job.pk, error=ValueError("x"), times=3)
    response = admin_client_api.post(f"/api/v1/jobs/{job.pk}/reset/")
    assert response.status_code == 400
    assert "saved script state cannot be restored" in response.json()["state"][0]
    job.refresh_from_db()
    assert job.state == JobState.ERROR
