"""The foreman admin: jobs list and show the runner state read-only; job logs cannot be edited."""

import pytest

from tests.contractor.foreman.factories import JobFactory, JobLogFactory
from tests.factories import ManualFoundationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def test_job_changelist_filters_by_state(admin_client):
    """The job changelist lists jobs with their target, and filters by state."""
    JobFactory(foundation=ManualFoundationFactory(locator="n-running"), state="running")
    JobFactory(foundation=ManualFoundationFactory(locator="n-done"), state="done")
    response = admin_client.get("/admin/foreman/job/", {"state__exact": "running"})
    assert response.status_code == 200
    assert b"n-running" in response.content
    assert b"n-done" not in response.content


def test_job_change_form_shows_runner_state_as_json(admin_client):
    """The job form shows runner_state as indented JSON; neither it nor the script source can be edited."""
    job = JobFactory(runner_state={"stack": [{"line": 3}]})
    response = admin_client.get(f"/admin/foreman/job/{job.pk}/change/")
    assert response.status_code == 200
    assert b"<pre>{\n  &quot;stack&quot;: [" in response.content
    assert b'name="runner_state"' not in response.content
    assert b'name="source"' not in response.content


def test_job_log_is_read_only(admin_client):
    """Job logs can be viewed but not added, changed or deleted in the admin."""
    log = JobLogFactory(target="n-logged")
    assert b"n-logged" in admin_client.get("/admin/foreman/joblog/").content
    assert admin_client.get("/admin/foreman/joblog/add/").status_code == 403
    page = admin_client.get(f"/admin/foreman/joblog/{log.pk}/change/")
    assert page.status_code == 200
    assert b'name="message"' not in page.content
    assert admin_client.post(f"/admin/foreman/joblog/{log.pk}/delete/", {"post": "yes"}).status_code == 403


def test_job_admin_actions_call_the_services(admin_client):
    """The changelist's pause and cancel actions act on the selected jobs; a refused one is reported."""
    running = JobFactory(state="running")
    done = JobFactory(state="done")
    response = admin_client.post(
        "/admin/foreman/job/", {"action": "job_pause", "_selected_action": [running.pk, done.pk]}, follow=True
    )
    running.refresh_from_db()
    assert running.state == "paused"
    assert f"Job {done.pk}: Job {done.pk} is done; only a".encode() in response.content
    admin_client.post("/admin/foreman/job/", {"action": "job_cancel", "_selected_action": [running.pk]})
    running.refresh_from_db()
    assert running.state == "aborted"
