"""Polls on PostgreSQL: parallel polls never get the same task, and a poll over HTTP costs three queries."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.selectors import subcontractor_polling
from contractor.subcontracting.services import task_lease_batch, task_lease_poll
from tests.contractor.foreman.test_protocol import make_task, poll, registered
from tests.factories import SiteFactory

THREADS = 4
TASKS = 60


def _lease_batch(subcontractor):
    return task_lease_batch(subcontractor=subcontractor, modules={"ipmi": 3}, site_name="lab")


def _lease_poll(subcontractor):
    return task_lease_poll(poller=subcontractor_polling(subcontractor.user), modules={"ipmi": 3}, site_name="lab")


def _poller(lease, subcontractor, barrier, leased, errors):
    try:
        barrier.wait(timeout=10)
        for _ in range(100):
            batch = lease(subcontractor)
            if not batch:
                break
            leased.extend(task.pk for task in batch)
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lease", [_lease_batch, _lease_poll], ids=["orm", "one-statement"])
def test_parallel_polls_never_share_a_task(on_postgres, lease):
    """Four subcontractors polling at once lease every task exactly once (select_for_update skip_locked)."""
    site = SiteFactory(name="lab")
    subcontractors = [registered(f"sc{n}", [site], modules=["ipmi"])[0] for n in range(THREADS)]
    expected = {make_task(site).pk for _ in range(TASKS)}
    barrier, leased, errors = threading.Barrier(THREADS), [], []
    threads = [threading.Thread(target=_poller, args=(lease, s, barrier, leased, errors)) for s in subcontractors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [pk for pk, count in Counter(leased).items() if count > 1] == []
    assert set(leased) == expected
    assert set(Task.objects.values_list("state", "attempts").distinct()) == {(TaskState.LEASED, 1)}


@pytest.mark.django_db
def test_a_poll_costs_three_queries_whatever_it_leases(on_postgres, settings):
    """Token, registration (the subcontractor with the sites it serves) and the lease (recording the poll and
    failing expired tasks too): three queries for a poll of two modules over a site and its sub-site."""
    settings.CONTRACTOR_TASK_MAX_ATTEMPTS = 1
    site = SiteFactory(name="lab")
    rack = SiteFactory(name="rack", parent=site)
    subcontractor, client = registered("sc1", [site])
    tasks = [make_task(site), make_task(rack), make_task(rack), make_task(site, module="iputils", function="ping")]
    dead = make_task(site)
    Task.objects.filter(pk=dead.pk).update(state=TaskState.LEASED, attempts=1, lease_expires="2000-01-01T00:00Z")
    with CaptureQueriesContext(connection) as captured:
        response = poll(client, site, ipmi=2, iputils=5)
    assert len(captured) == 3, [query["sql"][:60] for query in captured]
    assert [(task["module"], task["id"]) for task in response.json()["tasks"]] == [
        ("ipmi", tasks[0].pk), ("ipmi", tasks[1].pk), ("iputils", tasks[3].pk)]  # fmt: skip
    dead.refresh_from_db()
    assert dead.state == TaskState.FAILED and "got no answer after 1 attempt(s)" in dead.error
    subcontractor.refresh_from_db()
    assert subcontractor.last_poll_at is not None and subcontractor.last_address == "127.0.0.1"
    with CaptureQueriesContext(connection) as captured:
        (task,) = poll(client, rack, ipmi=5).json()["tasks"]
    assert len(captured) == 3 and task["id"] == tasks[2].pk, "a sub-site it serves through its parent"
