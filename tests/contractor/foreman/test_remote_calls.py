"""Remote calls through Task rows: dispatch, results applied once, failures, reset, rollback, cancel, delays, budget."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contractor.foreman import runner, services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task

pytestmark = pytest.mark.django_db

POWER = "state = lab.power( port=4 )\nmessage( msg='power is ' . state )\n"


def _job(foundation_with, source):
    return services.job_create(target=foundation_with(create=source), script_name="create")


def _answer(task, *, result=None, error=None):
    """What the subcontractor protocol does on a posted result or error."""
    task.state = TaskState.FAILED if error else TaskState.DONE
    task.result, task.error = result, error or ""
    task.finished_at = timezone.now()
    task.save()


def test_remote_call_creates_task_and_applies_result_once(foundation_with, run_worker):
    """The job creates one pending task for its site, sleeps on it, and applies its result exactly once."""
    job = _job(foundation_with, POWER)
    run_worker()
    task = Task.objects.get(job=job)
    assert (task.module, task.function, task.parameters) == ("lab", "power_on", {"port": 4, "password": "hunter2"})
    assert task.state == TaskState.PENDING and task.site_id == job.foundation.site_id
    assert run_worker() == 0  # asleep while the task is open
    _answer(task, result={"state": "on"})
    run_worker()
    task.refresh_from_db()
    job.refresh_from_db()
    assert task.state == TaskState.APPLIED
    assert job.state == JobState.DONE and job.runner_state["variables"]["state"] == "on"
    _answer(task, result={"state": "off"})  # the same result posted again: the job is done, nothing changes
    assert run_worker() == 0
    job.refresh_from_db()
    assert job.runner_state["variables"]["state"] == "on"


def test_failed_task_errors_then_reset_sends_a_new_task(foundation_with, run_worker):
    """A failed task puts the job in error naming the task; reset dispatches it again under a new cookie."""
    job = _job(foundation_with, POWER)
    run_worker()
    first = Task.objects.get(job=job)
    _answer(first, error="BMC timeout")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR
    assert "lab.power_on" in job.message and "BMC timeout" in job.message and str(first.pk) in job.message
    services.job_reset(job=job)
    run_worker()
    second = Task.objects.filter(job=job).exclude(pk=first.pk).get()
    assert second.cookie != first.cookie and second.state == TaskState.PENDING
    _answer(second, result={"state": "on"})
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_rollback_sends_the_rollback_task_then_the_task_again(foundation_with, run_worker):
    """Rollback of a failed call dispatches power_off, then power_on again, each under a new cookie."""
    job = _job(foundation_with, POWER)
    run_worker()
    _answer(Task.objects.get(job=job), error="stuck")
    run_worker()
    services.job_rollback(job=Job.objects.get(pk=job.pk))
    run_worker()
    rollback = Task.objects.filter(job=job).latest("pk")
    assert (rollback.function, rollback.parameters) == ("power_off", {"port": 4})
    _answer(rollback, result=None)
    run_worker()
    again = Task.objects.filter(job=job).latest("pk")
    assert again.function == "power_on" and again.pk != rollback.pk
    _answer(again, result={"state": "on"})
    run_worker()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_rollback_needs_a_function_that_allows_it(foundation_with, run_worker):
    """Rolling back a call without a rollback is a clear error; so is rolling back a job not in error."""
    job = _job(foundation_with, "lab.ping()\n")
    with pytest.raises(ValidationError, match="only a job in error can be rolled back"):
        services.job_rollback(job=job)
    run_worker()
    _answer(Task.objects.get(job=job), error="no route")
    run_worker()
    with pytest.raises(ValidationError, match="does not allow rollback"):
        services.job_rollback(job=Job.objects.get(pk=job.pk))


def test_cancel_aborts_cancels_tasks_and_keeps_log(foundation_with, run_worker):
    """Cancel aborts the job, cancels its open task and closes the log with 'aborted'."""
    job = _job(foundation_with, POWER)
    run_worker()
    services.job_cancel(job=job)
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and job.finished_at is not None
    assert Task.objects.get(job=job).state == TaskState.CANCELLED
    assert job.foundation.jobs.count() == 1
    from contractor.foreman.models import JobLog

    assert JobLog.objects.get(job_id_ref=job.pk).outcome == "aborted"
    with pytest.raises(ValidationError, match="only a"):
        services.job_cancel(job=job)


def test_stale_answer_is_not_applied(foundation_with, run_worker):
    """A task answered after a reset replaced it is cancelled, not applied."""
    job = _job(foundation_with, POWER)
    run_worker()
    first = Task.objects.get(job=job)
    _answer(first, error="x")
    run_worker()
    services.job_reset(job=Job.objects.get(pk=job.pk))
    run_worker()
    _answer(first, result={"state": "late"})  # a late answer for the old cookie
    second = Task.objects.filter(job=job).latest("pk")
    _answer(second, result={"state": "on"})
    run_worker()
    first.refresh_from_db()
    job.refresh_from_db()
    assert first.state == TaskState.CANCELLED
    assert job.runner_state["variables"]["state"] == "on"


def test_delay_sets_next_run_at(foundation_with, run_worker, monkeypatch):
    """delay() puts the job to sleep until its end; the worker leaves it alone until then."""
    job = _job(foundation_with, "delay( seconds=30 )\n")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.next_run_at > timezone.now()
    assert run_worker() == 0
    later = runner.clock() + 31
    monkeypatch.setattr(runner, "clock", lambda: later)
    Job.objects.filter(pk=job.pk).update(next_run_at=timezone.now())
    run_worker()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_step_budget_stops_a_runaway_loop(foundation_with, run_worker, settings):
    """A loop that spends the step budget puts the job in error instead of holding the worker."""
    settings.FOREMAN_STEP_BUDGET = 500
    job = _job(foundation_with, "i = 0\nwhile true do i = i + 1\n")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "Step budget spent (500" in job.message


def test_script_abort_ends_the_job(foundation_with, run_worker):
    """fatal_error() aborts the job and its log records it."""
    job = _job(foundation_with, "fatal_error( msg='no disks' )\n")
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.message) == (JobState.ABORTED, "no disks")


def test_signal_wakes_signaling_wait(foundation_with, run_worker):
    """signaling.wait() keeps the job running until job_signal, then returns true."""
    job = _job(foundation_with, "ok = signaling.wait()\n")
    run_worker(passes=3)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.message == "Waiting for the machine to signal"
    services.job_signal(job=job)
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["ok"] is True
    assert job.signalled_at is None


def test_pause_and_resume_by_operator(foundation_with, run_worker):
    """An operator pause stops stepping; resume continues where it was."""
    job = _job(foundation_with, "message( msg='one' )\nmessage( msg='two' )\n")
    services.job_pause(job=job)
    assert run_worker() == 0
    with pytest.raises(ValidationError, match="only a paused job can be resumed"):
        services.job_resume(job=services.job_resume(job=job))
    run_worker()
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_worker_fails_a_task_whose_last_lease_ran_out(foundation_with, run_worker, settings):
    """Without any subcontractor polling, the worker fails a task out of attempts and errors its job naming it."""
    settings.CONTRACTOR_TASK_MAX_ATTEMPTS = 2
    job = _job(foundation_with, POWER)
    run_worker()
    task = Task.objects.get(job=job)
    task.state, task.attempts = TaskState.LEASED, 2
    task.lease_expires = timezone.now() - timezone.timedelta(seconds=1)
    task.save()
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and f"({task.pk})" in job.message and "no answer after 2" in job.message
