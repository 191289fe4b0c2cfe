"""Read-only subcontractor and task views (API and admin): liveness, redaction, filters and query budgets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contractor.subcontracting.models import Subcontractor, Task
from tests.contractor.foreman.test_protocol import make_task, poll, registered
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(name="lab")


def test_subcontractors_show_sites_modules_and_liveness(site, viewer_client, settings):
    """A subcontractor that just polled is alive; one that polled long ago or never is not."""
    settings.CONTRACTOR_SUBCONTRACTOR_ALIVE_SECONDS = 30
    _, fresh = registered("fresh", [site])
    registered("never", [site], modules=["iputils"])
    stale, stale_client = registered("stale", [site])
    poll(fresh, site, ipmi=1)
    poll(stale_client, site, ipmi=1)
    Subcontractor.objects.filter(pk=stale.pk).update(last_poll_at=timezone.now() - timedelta(seconds=31))
    rows = {row["name"]: row for row in viewer_client.get("/api/v1/subcontractors/").json()["results"]}
    assert {name: row["alive"] for name, row in rows.items()} == {"fresh": True, "never": False, "stale": False}
    assert rows["never"]["sites"] == ["lab"] and rows["never"]["modules"] == ["iputils"]
    assert rows["fresh"]["last_poll_at"] and rows["fresh"]["last_address"] == "127.0.0.1"


def test_subcontractors_filter_by_site(site, viewer_client):
    """?site= lists those registered for it."""
    registered("here", [site])
    registered("there", [SiteFactory(name="other")])
    names = [row["name"] for row in viewer_client.get("/api/v1/subcontractors/?site=other").json()["results"]]
    assert names == ["there"]


def test_tasks_hide_secret_parameters_from_viewers(site, viewer_client, infra_client):
    """A viewer sees the password parameter redacted; an infrastructure admin (view_secrets) sees it."""
    make_task(site, parameters={"address": "10.0.0.5", "password": "hunter2"})
    seen = viewer_client.get("/api/v1/tasks/").json()["results"][0]["parameters"]
    assert seen == {"address": "10.0.0.5", "password": "********"}
    assert infra_client.get("/api/v1/tasks/").json()["results"][0]["parameters"]["password"] == "hunter2"


def test_tasks_filter_by_state_and_lessee(site, viewer_client):
    """?state=leased&leased_by=<name> finds what a subcontractor holds."""
    _, client = registered("sc1", [site])
    leased, pending = make_task(site), make_task(site)
    Task.objects.filter(pk=pending.pk).update(module="iputils")
    poll(client, site, ipmi=1)
    rows = viewer_client.get("/api/v1/tasks/?state=leased&leased_by=sc1").json()["results"]
    assert [row["id"] for row in rows] == [leased.pk] and rows[0]["leased_by"] == "sc1" and rows[0]["site"] == "lab"


def test_task_views_are_read_only(site, infra_client):
    """No writes through the API: tasks come from jobs, subcontractors from subcontractor_register."""
    assert infra_client.post("/api/v1/tasks/", {}, format="json").status_code == 405
    assert infra_client.post("/api/v1/subcontractors/", {}, format="json").status_code == 405


@pytest.mark.parametrize("url", ["/api/v1/subcontractors/", "/api/v1/tasks/"])
def test_lists_stay_within_a_query_budget(site, viewer_client, django_assert_max_num_queries, url):
    """The same number of queries for 2 rows as for 12."""
    for count in (2, 12):
        for n in range(count - Subcontractor.objects.count()):
            registered(f"sc-{count}-{n}", [site, SiteFactory()])
        while Task.objects.count() < count:
            make_task(site)
        with django_assert_max_num_queries(6):
            assert len(viewer_client.get(url).json()["results"]) == count


def test_admin_lists_subcontractors_with_alive_and_tasks(site, admin_client):
    """The admin changelists render, with the alive column and the tasks."""
    _, client = registered("sc1", [site])
    poll(client, site, ipmi=1)
    make_task(site, function="power_cycle")
    page = admin_client.get("/admin/subcontracting/subcontractor/").content.decode()
    assert "sc1" in page and "icon-yes" in page
    assert "power_cycle" in admin_client.get("/admin/subcontracting/task/").content.decode()
