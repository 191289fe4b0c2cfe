"""A job's whole story: every step's outcome in order, shown while it runs and kept in its log after it is gone."""

import logging

import pytest

from contractor.foreman import lifecycle, services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.webhooks.models import Event

pytestmark = pytest.mark.django_db

TALKER = 'begin( description="check" )\n  message( msg="checking" )\n  message( msg="port 22 open" )\nend\n'
POWER = 'begin( description="build" )\n  a = 1\n  b = 2\n  foundation.power_on()\n  message( msg="on" )\nend\n'


def story(steps) -> list[tuple]:
    return [(step["status"], step["line"], step["message"]) for step in steps]


def test_every_step_and_the_final_message_are_kept_in_order(foundation_with, run_worker, viewer_client):
    """The job detail's `steps` hold each message() with its line, then the end; the last message is not lost."""
    job = services.job_create(target=foundation_with(create=TALKER), script_name="create")
    run_worker()
    data = viewer_client.get(f"/api/v1/jobs/{job.pk}/").data
    assert data["state"] == JobState.DONE
    assert story(data["steps"]) == [
        ("created", None, "Created"),
        ("started", None, "Started"),
        ("yielded", 2, "checking"),
        ("yielded", 3, "port 22 open"),
        ("done", 1, "Done"),
    ]
    times = [step["at"] for step in data["steps"]]
    assert times == sorted(times) and all(step["count"] == 1 for step in data["steps"])


def test_steps_show_while_the_job_runs_and_the_line_is_the_waiting_call(foundation_with, run_worker, viewer_client):
    """Paused inside foundation.power_on() on line 4, the job is at line 4 (not the begin on line 1)."""
    job = services.job_create(target=foundation_with(locator="n-power", create=POWER), script_name="create")
    run_worker()
    data = viewer_client.get(f"/api/v1/jobs/{job.pk}/").data
    assert data["state"] == JobState.PAUSED and data["line"] == 4
    assert story(data["steps"])[-1] == ("paused", 4, "Please power on n-power, then resume the job.")
    services.job_resume(job=job)
    run_worker()
    data = viewer_client.get(f"/api/v1/jobs/{job.pk}/").data
    assert story(data["steps"])[-3:] == [("resumed", 4, "Resumed"), ("yielded", 5, "on"), ("done", 1, "Done")]


def test_the_admin_marks_the_line_of_the_waiting_call(foundation_with, run_worker, client, make_user):
    """The admin's script view marks line 4 while the job waits in foundation.power_on(), and lists the steps."""
    client.force_login(make_user("root", superuser=True))
    job = services.job_create(target=foundation_with(create=POWER), script_name="create")
    run_worker()
    page = client.get(f"/admin/foreman/job/{job.pk}/change/").content.decode()
    assert '<mark class="current-line">   4</mark>   foundation.power_on()' in page
    assert '<table class="job-steps">' in page and "Please power on" in page


def test_the_log_keeps_the_story_after_the_job_is_gone(foundation_with, run_worker, viewer_client):
    """GET /job-logs/<id>/ shows the live steps while the job runs and keeps them once it is deleted."""
    job = services.job_create(target=foundation_with(create=POWER), script_name="create")
    run_worker()
    log = JobLog.objects.get(job_id_ref=job.pk)
    running = viewer_client.get(f"/api/v1/job-logs/{log.pk}/").data["steps"]
    assert story(running)[-1][0] == "paused"
    services.job_resume(job=job)
    run_worker()
    services.job_delete(job=Job.objects.get(pk=job.pk))
    assert not Job.objects.filter(pk=job.pk).exists()
    kept = viewer_client.get(f"/api/v1/job-logs/{log.pk}/").data["steps"]
    assert story(kept)[-2:] == [("yielded", 5, "on"), ("done", 1, "Done")]
    assert "steps" not in viewer_client.get("/api/v1/job-logs/").data["results"][0]


def test_the_number_of_steps_kept_is_bounded(foundation_with, run_worker, settings):
    """Only the newest FOREMAN_JOB_STEPS_KEPT entries stay, after a note counting the ones dropped."""
    settings.FOREMAN_JOB_STEPS_KEPT = 4
    source = "".join(f'message( msg="m{index}" )\n' for index in range(1, 9))
    job = services.job_create(target=foundation_with(create=source), script_name="create")
    run_worker()
    job.refresh_from_db()
    assert len(job.steps) == 4
    # created, started, m1..m8 and done are 11 entries: the note stands for the first 8
    assert story(job.steps) == [("trimmed", None, "8 earlier step(s) not kept"), ("yielded", 7, "m7"),
                                ("yielded", 8, "m8"), ("done", 8, "Done")]  # fmt: skip
    assert job.steps[0]["count"] == 8


def test_a_repeated_outcome_counts_on_one_entry(foundation_with):
    """The same outcome again (a wait polled once more) raises the entry's count instead of adding one."""
    job = services.job_create(target=foundation_with(create="pass\n"), script_name="create")
    for _ in range(3):
        lifecycle.job_step_record(job, status="waiting", message="Waiting for foundation x to be built", line=None)
    assert story(job.steps) == [("created", None, "Created"), ("waiting", None, "Waiting for foundation x to be built")]
    assert job.steps[-1]["count"] == 3 and job.steps[-1]["last_at"] >= job.steps[-1]["at"]


def test_cancelling_records_the_end_and_sends_job_aborted(foundation_with, run_worker, make_user):
    """A cancel is the last step of the story, in the job and in its log, and is announced as job.aborted."""
    job = services.job_create(target=foundation_with(create=POWER), script_name="create")
    run_worker()
    services.job_cancel(job=job, user=make_user("alice"))
    log = JobLog.objects.get(job_id_ref=job.pk)
    assert (log.outcome, log.message) == (JobState.ABORTED, "Cancelled by alice")
    assert story(log.steps)[-1] == ("aborted", 4, "Cancelled by alice")
    assert Event.objects.filter(kind="job.aborted", target_id=str(job.pk)).count() == 1


def test_the_admin_cannot_delete_a_job_that_has_not_ended(foundation_with, run_worker, client, make_user):
    """Neither the delete page nor the delete action removes an active job; an ended one can be deleted."""
    client.force_login(make_user("root", superuser=True))
    active = services.job_create(target=foundation_with(create=POWER), script_name="create")
    finished = services.job_create(target=foundation_with(create="pass\n"), script_name="create")
    run_worker()
    assert client.post(f"/admin/foreman/job/{active.pk}/delete/", {"post": "yes"}).status_code == 403
    both = {"action": "delete_selected", "_selected_action": [active.pk, finished.pk], "post": "yes"}
    assert client.post("/admin/foreman/job/", both).status_code == 403
    assert Job.objects.count() == 2
    alone = {"action": "delete_selected", "_selected_action": [finished.pk], "post": "yes"}
    assert client.post("/admin/foreman/job/", alone).status_code == 302
    assert list(Job.objects.values_list("pk", flat=True)) == [active.pk]
    assert JobLog.objects.get(job_id_ref=finished.pk).steps[-1]["status"] == "done"


def test_the_worker_logs_starts_outcomes_and_ends(foundation_with, run_worker, caplog):
    """At INFO a worker logs the job's start, its pause and its end; a plain message() only at DEBUG."""
    job = services.job_create(target=foundation_with(create=TALKER), script_name="create")
    with caplog.at_level(logging.INFO, logger="contractor.foreman"):
        run_worker()
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("contractor.foreman")]
    prefix = f"Job {job.pk} (create of foundation {job.foundation_id})"
    assert lines == [f"{prefix} started: Started", f"{prefix} done at line 1: Done"]


def test_an_error_is_logged_as_a_warning(foundation_with, run_worker, caplog):
    """A script's error() is a WARNING line naming the job, the line and the message."""
    job = services.job_create(
        target=foundation_with(create="a = 1\nerror( msg='disk missing' )\n"), script_name="create"
    )
    with caplog.at_level(logging.INFO, logger="contractor.foreman"):
        run_worker()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"Job {job.pk} (create of foundation {job.foundation_id}) error at line 2: disk missing"]
