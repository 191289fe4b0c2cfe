"""The subcontractor protocol on the Contractor side: polling, leases, results, errors and who may use it."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.services import subcontractor_register
from tests.contractor.foreman.factories import JobFactory
from tests.factories import ManualFoundationFactory, SiteFactory

pytestmark = pytest.mark.django_db


def registered(name, sites, modules=("ipmi", "iputils")):
    """A registered subcontractor and an API client that sends its token."""
    subcontractor, token = subcontractor_register(name=name, sites=[s.name for s in sites], modules=list(modules))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return subcontractor, client


def make_task(site, module="ipmi", function="power_on", **fields):
    """A pending task of a job on a foundation of `site`."""
    job = JobFactory(foundation=ManualFoundationFactory(site=site))
    return Task.objects.create(
        job=job,
        site=site,
        module=module,
        function=function,
        cookie=uuid.uuid4().hex,
        **{"parameters": {"n": 1}, **fields},
    )


def poll(client, site, **modules):
    return client.post("/api/v1/subcontractor/poll/", {"site": site.name, "modules": modules}, format="json")


@pytest.fixture
def site():
    return SiteFactory(name="lab")


def _expire(task):
    Task.objects.filter(pk=task.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))


def test_poll_leases_tasks_with_the_documented_fields(site, settings):
    """A poll leases a pending task: leased_by, lease deadline, attempt 1, and the daemon's fields, with the lease
    length that times the daemon's renewals."""
    settings.CONTRACTOR_TASK_LEASE_SECONDS = 90
    subcontractor, client = registered("sc1", [site])
    task = make_task(site)
    response = poll(client, site, ipmi=2)
    assert response.status_code == 200
    (payload,) = response.json()["tasks"]
    assert response.json()["lease_seconds"] == 90
    assert payload["id"] == task.pk and payload["job"] == task.job_id
    assert (payload["module"], payload["function"], payload["parameters"]) == ("ipmi", "power_on", {"n": 1})
    assert payload["cookie"] == task.cookie and payload["attempt"] == 1 and payload["lease_expires"].endswith("Z")
    task.refresh_from_db()
    assert task.state == TaskState.LEASED and task.leased_by == subcontractor and task.attempts == 1
    assert task.lease_expires > timezone.now()


def test_poll_records_when_and_from_where(site):
    """Each poll stamps last_poll_at and last_address on the subcontractor."""
    subcontractor, client = registered("sc1", [site])
    poll(client, site, ipmi=1)
    subcontractor.refresh_from_db()
    assert subcontractor.last_poll_at is not None and subcontractor.last_address == "127.0.0.1"


def test_poll_hands_out_no_more_than_the_free_slots(site):
    """Three pending tasks and one free slot: one task is leased, the others stay pending."""
    _, client = registered("sc1", [site])
    for _ in range(3):
        make_task(site)
    assert len(poll(client, site, ipmi=1).json()["tasks"]) == 1
    assert Task.objects.filter(state=TaskState.PENDING).count() == 2


def test_a_leased_task_is_not_handed_out_again_before_its_lease_runs_out(site):
    """A second subcontractor polling while the lease holds gets nothing."""
    _, first = registered("sc1", [site])
    _, second = registered("sc2", [site])
    make_task(site)
    assert len(poll(first, site, ipmi=5).json()["tasks"]) == 1
    assert poll(second, site, ipmi=5).json()["tasks"] == []


def test_an_expired_lease_is_handed_out_again_with_the_attempt_count(site, settings):
    """After the lease runs out the task goes to the next poller, attempt 2, with the new lessee."""
    settings.CONTRACTOR_TASK_MAX_ATTEMPTS = 3
    _, first = registered("sc1", [site])
    second_sc, second = registered("sc2", [site])
    task = make_task(site)
    poll(first, site, ipmi=1)
    _expire(task)
    (payload,) = poll(second, site, ipmi=1).json()["tasks"]
    assert payload["id"] == task.pk and payload["attempt"] == 2
    task.refresh_from_db()
    assert task.leased_by == second_sc and task.attempts == 2


def test_max_attempts_reached_fails_the_task_naming_it(site, settings):
    """A lease that runs out on the last attempt fails the task with a message naming module.function, job, attempts."""
    settings.CONTRACTOR_TASK_MAX_ATTEMPTS = 2
    _, client = registered("sc1", [site])
    task = make_task(site, function="power_off")
    for _ in range(2):
        assert len(poll(client, site, ipmi=1).json()["tasks"]) == 1
        _expire(task)
    assert poll(client, site, ipmi=1).json()["tasks"] == []
    task.refresh_from_db()
    assert task.state == TaskState.FAILED and task.finished_at is not None
    assert "ipmi.power_off" in task.error and f"job {task.job_id}" in task.error and "2 attempt" in task.error


def renew(client, *tasks):
    body = {"tasks": [{"task": task.pk, "cookie": task.cookie} for task in tasks]}
    return client.post("/api/v1/subcontractor/leases/", body, format="json")


def test_a_running_task_renews_its_lease_and_is_not_handed_out_or_failed(site, settings):
    """The lessee renews a lease about to run out: the deadline moves to now + the lease length, so neither a
    second poller gets the task nor does its last attempt fail it; the answer says how long a lease lasts."""
    settings.CONTRACTOR_TASK_MAX_ATTEMPTS = 1
    settings.CONTRACTOR_TASK_LEASE_SECONDS = 60
    holder, first = registered("sc1", [site])
    _, second = registered("sc2", [site])
    task = make_task(site)
    poll(first, site, ipmi=1)
    Task.objects.filter(pk=task.pk).update(lease_expires=timezone.now() + timedelta(seconds=1))
    response = renew(first, task)
    assert response.status_code == 200, response.content
    (row,) = response.json()["tasks"]
    assert response.json()["lease_seconds"] == 60 and row["task"] == task.pk
    task.refresh_from_db()
    assert task.lease_expires > timezone.now() + timedelta(seconds=55) and row["lease_expires"].endswith("Z")
    assert (task.state, task.leased_by, task.attempts) == (TaskState.LEASED, holder, 1)
    assert poll(second, site, ipmi=1).json()["tasks"] == []


def test_only_the_lessee_with_the_cookie_renews_a_leased_task(site):
    """Another subcontractor, a wrong cookie, an answered task: nothing renewed, nothing changed."""
    _, first = registered("sc1", [site])
    _, second = registered("sc2", [site])
    task, answered = make_task(site), make_task(site)
    poll(first, site, ipmi=2)
    deadline = Task.objects.get(pk=task.pk).lease_expires
    assert renew(second, task).json()["tasks"] == []
    wrong = {"tasks": [{"task": task.pk, "cookie": "not-its-cookie"}]}
    assert first.post("/api/v1/subcontractor/leases/", wrong, format="json").json()["tasks"] == []
    body = {"cookie": answered.cookie, "result": {"ok": True}}
    assert first.post(f"/api/v1/subcontractor/tasks/{answered.pk}/result/", body, format="json").status_code == 200
    assert renew(first, answered).json()["tasks"] == []
    assert Task.objects.get(pk=task.pk).lease_expires == deadline
    assert renew(first).status_code == 400  # an empty list


def test_only_registered_modules_are_handed_out(site):
    """A subcontractor gets tasks of its modules only; asking for another module is refused with 403."""
    _, client = registered("sc1", [site], modules=["iputils"])
    make_task(site, module="ipmi")
    port = make_task(site, module="iputils", function="port_check")
    assert poll(client, site, ipmi=1).status_code == 403
    assert [t["id"] for t in poll(client, site, iputils=4).json()["tasks"]] == [port.pk]
    assert Task.objects.get(module="ipmi").state == TaskState.PENDING


def test_only_tasks_of_registered_sites_are_handed_out(site):
    """Tasks of other sites are never leased; naming a site it is not registered for is refused with 403."""
    other = SiteFactory(name="elsewhere")
    _, client = registered("sc1", [site])
    make_task(other)
    assert poll(client, site, ipmi=5).json()["tasks"] == []
    assert poll(client, other, ipmi=5).status_code == 403


def test_bad_modules_body_is_a_400_naming_the_field(site):
    """modules must map names to integers."""
    _, client = registered("sc1", [site])
    response = client.post("/api/v1/subcontractor/poll/", {"site": "lab", "modules": ["ipmi"]}, format="json")
    assert response.status_code == 400 and "modules" in response.json()


def _leased(site, client):
    task = make_task(site)
    poll(client, site, ipmi=1)
    return task


def _result(client, task, cookie=None, result=None):
    body = {"cookie": cookie or task.cookie, "result": result or {"state": "on"}}
    return client.post(f"/api/v1/subcontractor/tasks/{task.pk}/result/", body, format="json")


def test_a_result_is_accepted_and_recorded(site):
    """The result of a leased task with its cookie: 200 accepted, task done with the result."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    response = _result(client, task)
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.result == {"state": "on"} and task.finished_at is not None


def test_the_same_result_twice_is_a_duplicate_applied_once(site):
    """A repeat post is 200 duplicate and does not overwrite the first result."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    _result(client, task)
    response = _result(client, task, result={"state": "off"})
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    task.refresh_from_db()
    assert task.result == {"state": "on"}


def test_a_result_for_an_applied_task_is_a_duplicate(site):
    """Once the foreman applied the result, the same cookie still answers duplicate (the daemon forgets it)."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    _result(client, task)
    Task.objects.filter(pk=task.pk).update(state=TaskState.APPLIED)
    assert _result(client, task).json()["status"] == "duplicate"


def test_a_wrong_cookie_is_stale(site):
    """A cookie that is not the task's: 409 stale, nothing recorded."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    response = _result(client, task, cookie="not-it")
    assert response.status_code == 409 and response.json()["status"] == "stale"
    task.refresh_from_db()
    assert task.state == TaskState.LEASED and task.result is None


def test_a_result_for_a_cancelled_task_is_stale(site):
    """The job was reset or cancelled meanwhile: 409 stale."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    Task.objects.filter(pk=task.pk).update(state=TaskState.CANCELLED)
    response = _result(client, task)
    assert response.status_code == 409 and response.json()["status"] == "stale"


def test_an_unknown_task_is_stale_so_the_daemon_drops_it(site):
    """A result for a task that does not exist (or is of another site) is 409 stale, not retried."""
    _, client = registered("sc1", [site])
    response = client.post("/api/v1/subcontractor/tasks/99999/result/", {"cookie": "x", "result": 1}, format="json")
    assert response.status_code == 409 and response.json()["status"] == "stale"


def test_after_expiry_the_first_answer_wins(site):
    """Leased again after expiry: the first holder's late result is accepted, the second's is a duplicate."""
    first_sc, first = registered("sc1", [site])
    _, second = registered("sc2", [site])
    task = _leased(site, first)
    _expire(task)
    poll(second, site, ipmi=1)
    assert _result(first, task, result={"state": "on", "by": 1}).json()["status"] == "accepted"
    assert _result(second, task, result={"state": "on", "by": 2}).json()["status"] == "duplicate"
    task.refresh_from_db()
    assert task.result == {"state": "on", "by": 1} and task.leased_by == first_sc


def test_an_error_fails_the_task(site):
    """An error post: 200 accepted, task failed with the message (marked retryable when the daemon says so)."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    body = {"cookie": task.cookie, "error": "BMC 10.0.0.5:623 unreachable", "retryable": True}
    response = client.post(f"/api/v1/subcontractor/tasks/{task.pk}/error/", body, format="json")
    assert response.json()["status"] == "accepted"
    task.refresh_from_db()
    assert task.state == TaskState.FAILED and task.error == "BMC 10.0.0.5:623 unreachable (retryable)"
    again = client.post(f"/api/v1/subcontractor/tasks/{task.pk}/error/", body, format="json")
    assert again.json()["status"] == "duplicate"


def test_a_result_without_result_is_a_400(site):
    """The result field is required."""
    _, client = registered("sc1", [site])
    task = _leased(site, client)
    response = client.post(f"/api/v1/subcontractor/tasks/{task.pk}/result/", {"cookie": task.cookie}, format="json")
    assert response.status_code == 400 and "result" in response.json()


@pytest.mark.parametrize("fixture", ["anon_client", "viewer_client", "infra_client", "admin_client_api"])
def test_other_users_are_refused_the_protocol(site, request, fixture):
    """Only registered subcontractors may poll: anonymous gets 401, any other user 403 (even a superuser)."""
    client = request.getfixturevalue(fixture)
    response = poll(client, site, ipmi=1)
    assert response.status_code == (401 if fixture == "anon_client" else 403)


def test_a_subcontractor_role_user_without_a_registration_is_refused(site, make_user):
    """The role alone is not enough: there must be a Subcontractor row."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user("lonely", role="subcontractor"))
    assert poll(client, site, ipmi=1).status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/sites/", "/api/v1/jobs/", "/api/v1/foundations/", "/api/v1/users/"])
def test_subcontractors_are_refused_everywhere_else(site, url):
    """A subcontractor's token opens nothing but the protocol endpoints."""
    _, client = registered("sc1", [site])
    assert client.get(url).status_code == 403


def test_register_command_is_idempotent_and_prints_the_token(site, capsys):
    """Running it twice keeps one user and one token, and updates sites and modules."""
    other = SiteFactory(name="lab2")
    call_command("subcontractor_register", "sc9", "--site", "lab", "--module", "ipmi")
    first = capsys.readouterr().out.strip()
    call_command("subcontractor_register", "sc9", "--site", "lab", "--site", "lab2", "--module", "iputils")
    second = capsys.readouterr().out.strip()
    assert first == second and len(first) == 40
    subcontractor = Subcontractor.objects.get(name="sc9")
    assert subcontractor.modules == ["iputils"] and set(subcontractor.sites.all()) == {site, other}
    assert subcontractor.user.has_perm("user.act_as_subcontractor")


def test_register_command_names_a_missing_site(site):
    """An unknown site is a CommandError naming it."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nowhere"):
        call_command("subcontractor_register", "sc9", "--site", "nowhere", "--module", "ipmi")
