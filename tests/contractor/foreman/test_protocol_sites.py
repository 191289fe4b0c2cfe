"""A subcontractor registered for a site serves every site below it; one registration may name several sites."""

import pytest
from django.core.management import call_command

from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor
from tests.contractor.foreman.test_boot import machine  # noqa: F401  (a fixture)
from tests.contractor.foreman.test_protocol import make_task, registered
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dc():
    """dc > rack1 > shelf, dc > rack2, and an unrelated site."""
    dc = SiteFactory(name="dc")
    rack1 = SiteFactory(name="rack1", parent=dc)
    return {
        "dc": dc,
        "rack1": rack1,
        "shelf": SiteFactory(name="shelf", parent=rack1),
        "rack2": SiteFactory(name="rack2", parent=dc),
        "other": SiteFactory(name="other"),
    }


def leased_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {task["id"] for task in response.json()["tasks"]}


def test_poll_leases_the_tasks_of_the_whole_subtree(dc):
    """Registered for dc, a poll (naming dc or nothing) leases tasks of rack1/shelf and rack2, not of other."""
    _, client = registered("dc-sc", [dc["dc"]])
    deep, rack2, other = make_task(dc["shelf"]), make_task(dc["rack2"]), make_task(dc["other"])
    got = leased_ids(client.post("/api/v1/subcontractor/poll/", {"site": "dc", "modules": {"ipmi": 5}}, format="json"))
    assert got == {deep.pk, rack2.pk}
    other.refresh_from_db()
    assert other.state == TaskState.PENDING


def test_poll_may_narrow_to_a_sub_site_it_serves(dc):
    """Naming rack1 (below its registered dc) leases only rack1's subtree; naming an unrelated site is a 403."""
    _, client = registered("dc-sc", [dc["dc"]])
    deep, rack2 = make_task(dc["shelf"]), make_task(dc["rack2"])
    body = {"sites": ["rack1"], "modules": {"ipmi": 5}}
    assert leased_ids(client.post("/api/v1/subcontractor/poll/", body, format="json")) == {deep.pk}
    refused = client.post("/api/v1/subcontractor/poll/", {"site": "other", "modules": {"ipmi": 5}}, format="json")
    assert refused.status_code == 403
    rack2.refresh_from_db()
    assert rack2.state == TaskState.PENDING
    bad = client.post("/api/v1/subcontractor/poll/", {"sites": [5], "modules": {"ipmi": 1}}, format="json")
    assert bad.status_code == 400 and "sites" in bad.json()


def test_results_are_accepted_for_tasks_of_sub_sites(dc):
    """A result for a task of a sub-site it serves is accepted (not stale)."""
    _, client = registered("dc-sc", [dc["dc"]])
    task = make_task(dc["shelf"])
    leased_ids(client.post("/api/v1/subcontractor/poll/", {"modules": {"ipmi": 1}}, format="json"))
    task.refresh_from_db()
    answer = client.post(
        f"/api/v1/subcontractor/tasks/{task.pk}/result/", {"cookie": task.cookie, "result": {"ok": 1}}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"


def test_registration_names_several_sites_everywhere(dc, capsys):
    """manage.py subcontractor_register --site rack1 --site rack2: the model, the API and polls agree."""
    call_command("subcontractor_register", "racks-sc", "--site", "rack1", "--site", "rack2", "--module", "ipmi")
    token = capsys.readouterr().out.strip()
    subcontractor = Subcontractor.objects.get(name="racks-sc")
    assert sorted(site.name for site in subcontractor.sites.all()) == ["rack1", "rack2"]
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    deep, rack2, top = make_task(dc["shelf"]), make_task(dc["rack2"]), make_task(dc["dc"])
    body = {"sites": ["rack1", "rack2"], "modules": {"ipmi": 5}}
    assert leased_ids(client.post("/api/v1/subcontractor/poll/", body, format="json")) == {deep.pk, rack2.pk}
    top.refresh_from_db()
    assert top.state == TaskState.PENDING


def test_subcontractor_list_filter_by_site_includes_those_above(dc, admin_client_api):
    """GET /api/v1/subcontractors/?site=shelf lists those registered for shelf, rack1 or dc (they serve it)."""
    registered("dc-sc", [dc["dc"]])
    registered("rack2-sc", [dc["rack2"]])
    registered("shelf-sc", [dc["shelf"]])
    response = admin_client_api.get("/api/v1/subcontractors/", {"site": "shelf"})
    assert sorted(row["name"] for row in response.json()["results"]) == ["dc-sc", "shelf-sc"]


def test_pxe_plan_covers_the_subtree(machine):  # noqa: F811  (the fixture imported above)
    """Registered for dc, the plan of dc holds lab's host and pools; ?site= may repeat; other sites are a 403."""
    dc = SiteFactory(name="dc")
    machine.site.parent = dc
    machine.site.save()
    SiteFactory(name="rack9", parent=dc)
    _, client = registered("dc-sc", [dc])
    plan = client.get("/api/v1/subcontractor/pxe/?site=dc").json()
    assert [host["hostname"] for host in plan["static"]] == ["web1"]
    assert len(plan["dynamic"]) == 2
    both = client.get("/api/v1/subcontractor/pxe/?site=lab&site=rack9").json()
    assert [host["hostname"] for host in both["static"]] == ["web1"]
    assert client.get("/api/v1/subcontractor/pxe/?site=rack9").json()["static"] == []
    SiteFactory(name="elsewhere")
    assert client.get("/api/v1/subcontractor/pxe/?site=elsewhere").status_code == 403
