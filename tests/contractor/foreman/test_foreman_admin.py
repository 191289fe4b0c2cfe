"""The foreman admin: jobs list and show the runner state read-only; job logs cannot be edited."""

import pytest

from contractor.building.models import Foundation
from contractor.foreman import services
from contractor.foreman.models import Job
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


WATCHED = """begin( description="Power up" )
  message( msg='starting' )
  state = lab.power( port=4 )
end
"""


def test_job_change_page_shows_progress_line_and_pending_task(admin_client, foundation_with, run_worker):
    """A job waiting on a remote call shows its block, percent, marked line, pending task and variables; no inputs."""
    job = services.job_create(target=foundation_with(create=WATCHED), script_name="create")
    run_worker()
    job.refresh_from_db()
    task = job.tasks.get()
    page = admin_client.get(f"/admin/foreman/job/{job.pk}/change/").content.decode()
    assert "<th>Block</th><td>Power up</td>" in page
    assert "<th>Line</th><td>3</td>" in page
    assert '<mark class="current-line">   3</mark>   state = lab.power( port=4 )' in page
    assert f"<th>Pending task</th><td>lab.power_on (task {task.pk}, pending, attempt 0)</td>" in page
    assert "<progress" in page
    assert 'name="state"' not in page and 'name="message"' not in page


def test_jobs_are_not_added_in_the_admin(admin_client):
    """Jobs come from the services (which check the job rules), so the admin has no add form."""
    assert admin_client.get("/admin/foreman/job/add/").status_code == 403


def test_foundation_admin_actions_locate_and_start_jobs(admin_client, foundation_with):
    """Operators mark a foundation located and start its create job from the list; a refused rule is reported."""
    foundation = foundation_with(locator="n-admin", create="message( msg='hi' )\n", destroy="message( msg='bye' )\n")
    changelist = "/admin/building/foundation/"
    admin_client.post(changelist, {"action": "foundation_locate", "_selected_action": [foundation.pk]})
    assert Foundation.objects.get(pk=foundation.pk).state == "located"
    response = admin_client.post(
        changelist, {"action": "foundation_create_job", "_selected_action": [foundation.pk]}, follow=True
    )
    job = Job.objects.get(foundation=foundation)
    assert job.script_name == "create"
    # the admin capitalises the first letter of a message
    assert f'N-admin: <a href="/admin/foreman/job/{job.pk}/change/">job {job.pk}</a>' in response.content.decode()
    refused = admin_client.post(
        changelist, {"action": "foundation_destroy_job", "_selected_action": [foundation.pk]}, follow=True
    )
    assert Job.objects.filter(foundation=foundation).count() == 1
    assert [str(message) for message in refused.context["messages"]] == [
        "n-admin: Rule 'destroy only what is built': foundation n-admin is located."
    ]


def test_structure_admin_action_starts_a_create_job(admin_client, structure_with):
    """The structure list's build action creates the structure's create job through the service."""
    structure = structure_with(create="message( msg='hi' )\n")
    build = {"action": "structure_create_job", "_selected_action": [structure.pk]}
    refused = admin_client.post("/admin/building/structure/", build, follow=True)
    assert "a structure is created on a built foundation" in refused.content.decode().replace("&#x27;", "'")
    assert not Job.objects.filter(structure=structure).exists()
    Foundation.objects.filter(pk=structure.foundation_id).update(state="built")
    admin_client.post("/admin/building/structure/", build)
    assert Job.objects.get(structure=structure).script_name == "create"


def test_job_change_page_does_not_show_task_secrets(admin_client, foundation_with, run_worker):
    """A pending task's password (sent to the subcontractor) appears nowhere on the job's admin page."""
    job = services.job_create(target=foundation_with(create=WATCHED), script_name="create")
    run_worker()
    assert job.tasks.get().parameters["password"] == "hunter2"
    assert "hunter2" not in admin_client.get(f"/admin/foreman/job/{job.pk}/change/").content.decode()


def test_task_admin_shows_parameters_redacted(admin_client, foundation_with, run_worker):
    """The task page shows the parameters with the password replaced."""
    job = services.job_create(target=foundation_with(create=WATCHED), script_name="create")
    run_worker()
    page = admin_client.get(f"/admin/subcontracting/task/{job.tasks.get().pk}/change/").content.decode()
    assert "&quot;port&quot;: 4" in page
    assert "hunter2" not in page
