"""The job API's write side: POST .../jobs/ on foundations and structures, operator actions and the progress view."""

import pytest

from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from tests.contractor.foreman.factories import JobFactory

pytestmark = pytest.mark.django_db

SCRIPT = """begin( description="Install", expected_time=0:10:00 )
  secret_password = "s3cret"
  step = 1
  state = lab.power( port=2 )
end
"""


def test_post_foundation_job_and_watch_progress(builder_client, foundation_with, run_worker):
    """A builder starts a create job by locator; the job view shows progress, line, variables and pending task."""
    from django.utils import timezone

    from contractor.subcontracting.services import subcontractor_register

    foundation = foundation_with(locator="rack2-n5", create=SCRIPT)
    # An alive subcontractor can take the task, so the job's message is the script's own (no "no taker" note).
    subcontractor, _ = subcontractor_register(name="lab-sc", sites=[foundation.site.name], modules=["lab"])
    type(subcontractor).objects.filter(pk=subcontractor.pk).update(last_poll_at=timezone.now())
    response = builder_client.post("/api/v1/foundations/rack2-n5/jobs/", {"script": "create"}, format="json")
    assert response.status_code == 201, response.data
    job_id = response.data["id"]
    assert (response.data["state"], response.data["foundation"], response.data["created_by"]) == (
        "queued",
        "rack2-n5",
        "builder",
    )
    run_worker()
    data = builder_client.get(f"/api/v1/jobs/{job_id}/").data
    assert data["state"] == "running" and data["message"] == "Waiting for lab.power"
    assert data["line"] == 4 and data["block"] == "Install" and 0 < data["progress"] < 100
    assert data["variables"] == {"secret_password": "********", "step": 1}
    assert 0 < data["remaining"] <= 600 and data["elapsed"] >= 0
    task = data["pending_task"]
    assert (task["module"], task["function"], task["state"], task["attempts"]) == ("lab", "power_on", "pending", 0)
    assert task["parameters"] == {"port": 2, "password": "********"}
    assert task["cookie"] == Task.objects.get(job_id=job_id).cookie
    assert builder_client.get("/api/v1/jobs/", {"foundation": "rack2-n5"}).data["results"][0]["id"] == job_id


def test_post_structure_job(builder_client, foundation_with, structure_with):
    """POST /structures/<id>/jobs/ makes a structure's create job, waiting while its foundation is built."""
    foundation = foundation_with(create="pass\n")
    structure = structure_with(foundation=foundation, create="pass\n")
    builder_client.post(f"/api/v1/foundations/{foundation.locator}/jobs/", {"script": "create"}, format="json")
    response = builder_client.post(f"/api/v1/structures/{structure.pk}/jobs/", {"script": "create"}, format="json")
    assert response.status_code == 201
    assert (response.data["state"], response.data["structure"]) == ("waiting", structure.pk)


def test_job_rule_errors_are_400_naming_the_rule(builder_client, foundation_with):
    """A refused job is a 400 naming the rule; a missing script field names the field."""
    foundation_with(locator="n9", create="pass\n")
    builder_client.post("/api/v1/foundations/n9/jobs/", {"script": "create"}, format="json")
    response = builder_client.post("/api/v1/foundations/n9/jobs/", {"script": "create"}, format="json")
    assert response.status_code == 400 and "one job per target" in str(response.data)
    assert "script" in builder_client.post("/api/v1/foundations/n9/jobs/", {}, format="json").data


def test_viewer_cannot_start_or_act(viewer_client, foundation_with):
    """A viewer may look but neither start jobs nor act on them."""
    foundation_with(locator="n10", create="pass\n")
    assert viewer_client.post("/api/v1/foundations/n10/jobs/", {"script": "create"}).status_code == 403
    job = JobFactory(state=JobState.RUNNING)
    assert viewer_client.post(f"/api/v1/jobs/{job.pk}/pause/").status_code == 403


def test_operator_actions_over_the_api(builder_client, foundation_with, run_worker):
    """pause, resume, reset, rollback and cancel call the services; a wrong state is a 400 with a clear message."""
    foundation_with(locator="n11", create="state = lab.power( port=1 )\n")
    job_id = builder_client.post("/api/v1/foundations/n11/jobs/", {"script": "create"}, format="json").data["id"]
    url = f"/api/v1/jobs/{job_id}/"
    paused = builder_client.post(url + "pause/")
    assert paused.status_code == 200 and paused.data["state"] == "paused" and "builder" in paused.data["message"]
    wrong = builder_client.post(url + "reset/")
    assert wrong.status_code == 400 and "only a job in error can be reset" in str(wrong.data)
    assert builder_client.post(url + "resume/").data["state"] == "queued"
    run_worker()
    task = Task.objects.get(job_id=job_id)
    task.state, task.error = TaskState.FAILED, "BMC gone"
    task.save()
    run_worker()
    assert builder_client.get(url).data["state"] == "error"
    assert builder_client.post(url + "rollback/").data["state"] == "queued"
    run_worker()
    assert Task.objects.filter(job_id=job_id).latest("pk").function == "power_off"
    cancelled = builder_client.post(url + "cancel/")
    assert cancelled.data["state"] == "aborted" and cancelled.data["pending_task"] is None
    assert Job.objects.get(pk=job_id).state == JobState.ABORTED


@pytest.mark.parametrize("rows", [3, 12])
def test_job_detail_and_list_query_budget(viewer_client, django_assert_max_num_queries, rows):
    """The job list stays within a fixed number of queries whatever the row count."""
    for _ in range(rows):
        JobFactory(state=JobState.RUNNING)
    with django_assert_max_num_queries(8):
        assert len(viewer_client.get("/api/v1/jobs/").data["results"]) == rows
