"""Lease exclusivity under concurrency (PostgreSQL): parallel polls never get the same task."""

import threading
from collections import Counter

import pytest
from django.db import connection

from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import task_lease_batch
from tests.contractor.foreman.test_protocol import make_task, registered
from tests.factories import SiteFactory

THREADS = 4
TASKS = 60


def _poller(subcontractor, barrier, leased, errors):
    try:
        barrier.wait(timeout=10)
        for _ in range(100):
            batch = task_lease_batch(subcontractor=subcontractor, modules={"ipmi": 3}, site_name="lab")
            if not batch:
                break
            leased.extend(task.pk for task in batch)
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(repr(error))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_parallel_polls_never_share_a_task(on_postgres):
    """Four subcontractors polling at once lease every task exactly once (select_for_update skip_locked)."""
    site = SiteFactory(name="lab")
    subcontractors = [registered(f"sc{n}", [site], modules=["ipmi"])[0] for n in range(THREADS)]
    expected = {make_task(site).pk for _ in range(TASKS)}
    barrier, leased, errors = threading.Barrier(THREADS), [], []
    threads = [threading.Thread(target=_poller, args=(s, barrier, leased, errors)) for s in subcontractors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [pk for pk, count in Counter(leased).items() if count > 1] == []
    assert set(leased) == expected
    assert set(Task.objects.values_list("state", "attempts").distinct()) == {(TaskState.LEASED, 1)}
