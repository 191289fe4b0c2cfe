"""The read-only /api/v1/jobs/ and /api/v1/job-logs/ collections: fields, filters, ordering and budgets."""

import pytest

from contractor.foreman.choices import JobState
from tests.contractor.foreman.factories import JobFactory, JobLogFactory
from tests.factories import DependencyFactory, ManualFoundationFactory, StructureFactory

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"
LOGS = "/api/v1/job-logs/"


def test_foundation_job_fields(viewer_client, make_user):
    """A foundation job shows its target by locator, the creator by username, and no runner internals."""
    job = JobFactory(
        foundation=ManualFoundationFactory(locator="rack1-node3"),
        created_by=make_user("alice"),
        state=JobState.RUNNING,
        message="powering on",
        runner_state={"frames": [1, 2]},
    )
    response = viewer_client.get(f"{JOBS}{job.pk}/")
    assert response.status_code == 200
    data = response.data
    assert (data["id"], data["target_kind"], data["target"]) == (job.pk, "foundation", "rack1-node3")
    assert (data["foundation"], data["structure"], data["dependency"]) == ("rack1-node3", None, None)
    assert (data["created_by"], data["state"], data["message"]) == ("alice", "running", "powering on")
    assert {"created", "started_at", "finished_at", "updated", "script_name"} <= set(data)
    assert "runner_state" not in data and "source" not in data


def test_structure_and_dependency_job_targets(viewer_client):
    """A structure job names the structure by id and hostname; a dependency job by its id."""
    structure = StructureFactory(hostname="dns1")
    dependency = DependencyFactory()
    JobFactory(foundation=None, structure=structure)
    JobFactory(foundation=None, dependency=dependency)
    results = viewer_client.get(JOBS, {"ordering": "id"}).data["results"]
    assert [(job["target_kind"], job["target"], job["structure"]) for job in results] == [
        ("structure", "dns1", structure.pk),
        ("dependency", str(dependency.pk), None),
    ]
    assert results[1]["dependency"] == dependency.pk


def test_job_filters(viewer_client):
    """Jobs filter by foundation locator, structure id, dependency id and (repeatable) state."""
    on_foundation = JobFactory(foundation=ManualFoundationFactory(locator="n1"), state=JobState.ERROR)
    structure = StructureFactory()
    on_structure = JobFactory(foundation=None, structure=structure, state=JobState.DONE)
    dependency = DependencyFactory()
    on_dependency = JobFactory(foundation=None, dependency=dependency, state=JobState.QUEUED)

    def ids(**params):
        return sorted(job["id"] for job in viewer_client.get(JOBS, params).data["results"])

    assert ids(foundation="n1") == [on_foundation.pk]
    assert ids(structure=structure.pk) == [on_structure.pk]
    assert ids(dependency=dependency.pk) == [on_dependency.pk]
    assert ids(state=["error", "queued"]) == sorted([on_foundation.pk, on_dependency.pk])
    assert viewer_client.get(JOBS, {"state": "bogus"}).status_code == 400


def test_job_ordering(viewer_client):
    """Jobs list newest first by default and accept `?ordering=`."""
    first, second = JobFactory(), JobFactory()
    assert [job["id"] for job in viewer_client.get(JOBS).data["results"]] == [second.pk, first.pk]
    assert [job["id"] for job in viewer_client.get(JOBS, {"ordering": "id"}).data["results"]] == [first.pk, second.pk]


def test_jobs_are_read_only_over_the_api(admin_client_api):
    """Even a superuser cannot create, change or delete jobs here (the foreman does that)."""
    job = JobFactory()
    assert admin_client_api.post(JOBS, {}, format="json").status_code == 405
    assert admin_client_api.patch(f"{JOBS}{job.pk}/", {"state": "done"}, format="json").status_code == 405
    assert admin_client_api.delete(f"{JOBS}{job.pk}/").status_code == 405


def test_jobs_need_view_permission(make_user):
    """A user with no role cannot list jobs or job logs."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user("nobody"))
    assert client.get(JOBS).status_code == 403
    assert client.get(LOGS).status_code == 403


def test_job_log_fields_and_filters(viewer_client, make_user):
    """Job logs show the job id, target, outcome and creator, and filter by outcome, kind, target and job."""
    done = JobLogFactory(job_id_ref=7, target="n1", created_by=make_user("bob"))
    failed = JobLogFactory(target_kind="structure", target="dns1", outcome="error")
    data = viewer_client.get(f"{LOGS}{done.pk}/").data
    assert (data["job"], data["target_kind"], data["target"], data["outcome"], data["created_by"]) == (
        7,
        "foundation",
        "n1",
        "done",
        "bob",
    )

    def ids(**params):
        return [log["id"] for log in viewer_client.get(LOGS, params).data["results"]]

    assert ids(outcome="error") == [failed.pk]
    assert ids(target_kind="structure") == [failed.pk]
    assert ids(target="n1") == [done.pk]
    assert ids(job=7) == [done.pk]


@pytest.mark.parametrize("url", [JOBS, LOGS])
def test_list_query_budget(viewer_client, django_assert_max_num_queries, url):
    """Listing jobs (of every target kind) or logs costs the same few queries for 3 or 30 rows."""
    for count in (3, 30):
        while JobLogFactory._meta.model.objects.count() < count:
            JobLogFactory(created_by=None)
        while JobFactory._meta.model.objects.count() < count:
            kind = JobFactory._meta.model.objects.count() % 3
            if kind == 0:
                JobFactory()
            elif kind == 1:
                JobFactory(foundation=None, structure=StructureFactory())
            else:
                JobFactory(foundation=None, dependency=DependencyFactory())
        with django_assert_max_num_queries(4):
            response = viewer_client.get(url, {"limit": 100})
        assert response.data["count"] == count
