"""The batch results endpoint: many results and errors in one POST, each answered like its single endpoint."""

import pytest
from django.db import connection

from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from tests.contractor.foreman.test_protocol import _expire, make_task, poll, registered
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/subcontractor/results/"


@pytest.fixture
def site():
    return SiteFactory(name="lab")


def _leased(site, client, count):
    tasks = [make_task(site) for _ in range(count)]
    assert len(poll(client, site, ipmi=count).json()["tasks"]) == count
    return tasks


def _post(client, *entries):
    return client.post(URL, {"results": list(entries)}, format="json")


def test_results_and_errors_are_recorded_and_answered_in_order(site):
    """A result and an error in one post: both accepted, in the order sent; done with its result, failed with its
    error (retryable noted)."""
    subcontractor, client = registered("sc1", [site])
    done, failed = _leased(site, client, 2)
    response = _post(client, {"task": failed.pk, "cookie": failed.cookie, "error": "BMC said no", "retryable": True},
                     {"task": done.pk, "cookie": done.cookie, "result": {"state": "on"}})  # fmt: skip
    assert response.status_code == 200
    assert [(a["task"], a["status"]) for a in response.json()["results"]] == [(failed.pk, "accepted"),
                                                                              (done.pk, "accepted")]  # fmt: skip
    done.refresh_from_db()
    failed.refresh_from_db()
    assert (done.state, done.result, done.error, done.leased_by) == (TaskState.DONE, {"state": "on"}, "", subcontractor)
    assert done.finished_at is not None and done.updated == done.finished_at
    assert (failed.state, failed.error, failed.result) == (TaskState.FAILED, "BMC said no (retryable)", None)


def test_each_entry_gets_its_own_answer_duplicate_and_stale(site):
    """Accepted, duplicate (answered before, or twice in the same post), stale (wrong cookie, cancelled, unknown)."""
    _, client = registered("sc1", [site])
    fresh, answered, wrong, cancelled = _leased(site, client, 4)
    _post(client, {"task": answered.pk, "cookie": answered.cookie, "result": "first"})
    Task.objects.filter(pk=cancelled.pk).update(state=TaskState.CANCELLED)
    response = _post(
        client,
        {"task": fresh.pk, "cookie": fresh.cookie, "result": "one"},
        {"task": fresh.pk, "cookie": fresh.cookie, "result": "two"},
        {"task": answered.pk, "cookie": answered.cookie, "result": "again"},
        {"task": wrong.pk, "cookie": "not-it", "result": "x"},
        {"task": cancelled.pk, "cookie": cancelled.cookie, "result": "x"},
        {"task": 999999, "cookie": "x", "error": "x"},
    )
    assert [a["status"] for a in response.json()["results"]] == ["accepted", "duplicate", "duplicate", "stale",
                                                                 "stale", "stale"]  # fmt: skip
    assert Task.objects.get(pk=fresh.pk).result == "one", "the first answer wins, inside one post too"
    assert Task.objects.get(pk=answered.pk).result == "first"
    assert Task.objects.get(pk=wrong.pk).state == TaskState.LEASED
    assert Task.objects.get(pk=cancelled.pk).state == TaskState.CANCELLED


def test_posting_the_same_batch_again_changes_nothing(site):
    """A daemon that lost the answer posts the batch again: every entry is a duplicate, results stay as first sent."""
    _, client = registered("sc1", [site])
    tasks = _leased(site, client, 3)
    entries = [{"task": task.pk, "cookie": task.cookie, "result": {"n": n}} for n, task in enumerate(tasks)]
    assert {a["status"] for a in _post(client, *entries).json()["results"]} == {"accepted"}
    finished = {task.pk: (task.finished_at, task.result) for task in Task.objects.filter(pk__in=[t.pk for t in tasks])}
    again = [{**entry, "result": "changed"} for entry in entries]
    assert {a["status"] for a in _post(client, *again).json()["results"]} == {"duplicate"}
    assert {t.pk: (t.finished_at, t.result) for t in Task.objects.filter(pk__in=[t.pk for t in tasks])} == finished


def test_tasks_of_other_sites_are_stale(site):
    """A subcontractor answers only its sites' tasks: another site's task is stale and left alone."""
    other = SiteFactory(name="elsewhere")
    _, client = registered("sc1", [site])
    _, other_client = registered("sc2", [other])
    (foreign,) = _leased(other, other_client, 1)
    (own,) = _leased(site, client, 1)
    response = _post(client, {"task": foreign.pk, "cookie": foreign.cookie, "result": 1},
                     {"task": own.pk, "cookie": own.cookie, "result": 2})  # fmt: skip
    assert [a["status"] for a in response.json()["results"]] == ["stale", "accepted"]
    assert Task.objects.get(pk=foreign.pk).state == TaskState.LEASED


def test_after_expiry_the_first_answer_wins_across_endpoints(site):
    """Leased again after expiry: the first holder's single post wins, the second holder's batch entry is a
    duplicate."""
    first_sc, first = registered("sc1", [site])
    _, second = registered("sc2", [site])
    (task,) = _leased(site, first, 1)
    _expire(task)
    poll(second, site, ipmi=1)
    body = {"cookie": task.cookie, "result": "by first"}
    assert first.post(f"/api/v1/subcontractor/tasks/{task.pk}/result/", body, format="json").status_code == 200
    answer = _post(second, {"task": task.pk, "cookie": task.cookie, "result": "by second"}).json()["results"][0]
    assert answer["status"] == "duplicate"
    task.refresh_from_db()
    assert task.result == "by first" and task.leased_by == first_sc


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"results": []},
        {"results": "nope"},
        {"results": [{"task": 1, "cookie": "c"}]},
        {"results": [{"task": 1, "cookie": "c", "result": 1, "error": "both"}]},
        {"results": [{"task": "1", "cookie": "c", "result": 1}]},
        {"results": [{"task": 1, "cookie": "c", "result": 1}] * 501},
    ],
    ids=["missing", "empty", "not-a-list", "neither", "both", "task-not-int", "too-many"],
)
def test_a_malformed_batch_is_a_400_and_records_nothing(site, body):
    """A malformed body is refused as a whole (400 naming `results`), so the daemon keeps its reports."""
    _, client = registered("sc1", [site])
    (task,) = _leased(site, client, 1)
    body = {"results": [{**entry, "task": task.pk} if entry.get("task") == 1 else entry for entry in body["results"]]} \
        if isinstance(body.get("results"), list) else body  # fmt: skip
    response = client.post(URL, body, format="json")
    assert response.status_code == 400 and "results" in response.json()
    assert Task.objects.get(pk=task.pk).state == TaskState.LEASED


def test_a_list_body_is_a_400(site):
    _, client = registered("sc1", [site])
    response = client.post(URL, [{"task": 1}], format="json")
    assert response.status_code == 400 and "must be a JSON object, not a list" in response.json()["detail"]


@pytest.mark.parametrize("fixture", ["anon_client", "viewer_client", "admin_client_api"])
def test_only_registered_subcontractors_may_post_a_batch(site, request, fixture):
    client = request.getfixturevalue(fixture)
    response = client.post(URL, {"results": [{"task": 1, "cookie": "c", "result": 1}]}, format="json")
    assert response.status_code == (401 if fixture == "anon_client" else 403)


def test_a_batch_costs_a_fixed_number_of_queries(site, django_assert_max_num_queries):
    """Fifty answers in one post: one locking read and one update, not a round of queries per task. On PostgreSQL
    the token, the subcontractor with its sites (one query), the transaction's two, the lock and the write."""
    _, client = registered("sc1", [site])
    tasks = _leased(site, client, 50)
    entries = [{"task": task.pk, "cookie": task.cookie, "result": task.pk} for task in tasks]
    with django_assert_max_num_queries(6 if connection.vendor == "postgresql" else 12):
        response = _post(client, *entries)
    assert {a["status"] for a in response.json()["results"]} == {"accepted"}
    assert sorted(Task.objects.filter(state=TaskState.DONE).values_list("result", flat=True)) == sorted(
        t.pk for t in tasks
    )
