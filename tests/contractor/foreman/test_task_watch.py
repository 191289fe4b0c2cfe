"""Nothing waits silently: a task no alive subcontractor can take says so on its job, and errors it in the end;
a subcontractor that stops polling is announced once as `subcontractor.lost`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.watch import NO_TAKER, tasks_unclaimed_check
from contractor.foreman.worker import Worker
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.services import subcontractor_register
from contractor.subcontracting.watch import subcontractors_lost_check
from contractor.webhooks.models import Delivery, Event, Subscription
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

POWER = "state = lab.power( port=4 )\n"


@pytest.fixture
def waiting_job(foundation_with, run_worker):
    """A job of a foundation in site rack1 (under dc) waiting on its task lab.power_on."""
    foundation = foundation_with(create=POWER)
    dc = SiteFactory(name="dc")
    foundation.site.name, foundation.site.parent = "rack1", dc
    foundation.site.save()
    job = services.job_create(target=foundation, script_name="create")
    run_worker()
    job.refresh_from_db()
    assert Task.objects.get(job=job).state == TaskState.PENDING
    return job


def _poll_at(subcontractor, when):
    Subcontractor.objects.filter(pk=subcontractor.pk).update(last_poll_at=when)


def test_waiting_job_says_no_subcontractor_is_registered(waiting_job, admin_client_api, client, make_user):
    """With no registration for its site and module, the job's message says so (API and admin) naming both."""
    message = waiting_job.message
    assert message.startswith("Waiting for lab.power") and NO_TAKER in message
    assert "registered with module lab for site rack1 or a site above it" in message
    assert admin_client_api.get(f"/api/v1/jobs/{waiting_job.pk}/").json()["message"] == message
    client.force_login(make_user("root-admin", superuser=True))
    page = client.get(f"/admin/foreman/job/{waiting_job.pk}/change/").content.decode()
    assert "module lab for site rack1" in page


def test_registered_but_silent_then_alive(waiting_job):
    """Registered for dc (above rack1) but not polled lately: named as silent; once it polls the note goes away."""
    subcontractor, _token = subcontractor_register(name="dc-sc", sites=["dc"], modules=["lab"])
    _poll_at(subcontractor, timezone.now() - timedelta(minutes=10))
    tasks_unclaimed_check()
    waiting_job.refresh_from_db()
    assert "dc-sc serving site rack1 with module lab has not polled" in waiting_job.message
    _poll_at(subcontractor, timezone.now())
    tasks_unclaimed_check()
    waiting_job.refresh_from_db()
    assert waiting_job.message == "Waiting for lab.power"


def test_a_task_never_leased_errors_its_job_after_the_configured_time(waiting_job, settings, run_worker):
    """Past CONTRACTOR_TASK_UNCLAIMED_SECONDS the task fails and the job errors, naming the site and module."""
    settings.CONTRACTOR_TASK_UNCLAIMED_SECONDS = 600
    task = Task.objects.get(job=waiting_job)
    Task.objects.filter(pk=task.pk).update(created=timezone.now() - timedelta(seconds=599))
    assert tasks_unclaimed_check() == 0
    Task.objects.filter(pk=task.pk).update(created=timezone.now() - timedelta(seconds=601))
    run_worker()  # the pass's watch fails the task...
    run_worker()  # ...and the next pass applies the failure to the job
    task.refresh_from_db()
    waiting_job.refresh_from_db()
    assert task.state == TaskState.APPLIED
    assert waiting_job.state == JobState.ERROR
    assert "No subcontractor took task lab.power_on" in waiting_job.message
    assert "site rack1" in waiting_job.message and "module lab" in waiting_job.message
    assert "600 s" in waiting_job.message


def test_a_leased_task_is_not_failed_as_unclaimed(waiting_job, settings):
    """A task a subcontractor took is the lease's business, not this check's."""
    settings.CONTRACTOR_TASK_UNCLAIMED_SECONDS = 1
    Task.objects.filter(job=waiting_job).update(state=TaskState.LEASED, created=timezone.now() - timedelta(hours=1),
                                                lease_expires=timezone.now() + timedelta(minutes=5))  # fmt: skip
    assert tasks_unclaimed_check() == 0
    assert Task.objects.get(job=waiting_job).state == TaskState.LEASED


def test_subcontractor_lost_is_emitted_once_per_loss(db):
    """Polled, then silent past the window: one `subcontractor.lost` (on the sites' common ancestor); a poll and
    a new silence give a second one; a subcontractor that never polled is not lost."""
    dc = SiteFactory(name="dc")
    SiteFactory(name="rack1", parent=dc), SiteFactory(name="rack2", parent=dc)
    subcontractor, _ = subcontractor_register(name="racks", sites=["rack1", "rack2"], modules=["ipmi"])
    subcontractor_register(name="never", sites=["rack1"], modules=["ipmi"])
    hook = Subscription.objects.create(name="dc-hook", url="http://127.0.0.1:9/", events=["subcontractor.*"], site=dc)
    _poll_at(subcontractor, timezone.now() - timedelta(seconds=30))
    assert subcontractors_lost_check() == []
    _poll_at(subcontractor, timezone.now() - timedelta(minutes=5))
    assert [sc.name for sc in subcontractors_lost_check()] == ["racks"]
    assert subcontractors_lost_check() == []
    (event,) = Event.objects.filter(kind="subcontractor.lost")
    assert event.site == dc and event.target_kind == "subcontractor" and event.target_id == str(subcontractor.pk)
    assert event.payload["data"]["sites"] == ["rack1", "rack2"] and event.payload["data"]["name"] == "racks"
    assert Delivery.objects.filter(event=event, subscription=hook).exists()
    _poll_at(subcontractor, timezone.now())
    assert subcontractors_lost_check() == []
    assert len(subcontractors_lost_check(now=timezone.now() + timedelta(minutes=2))) == 1
    assert Event.objects.filter(kind="subcontractor.lost").count() == 2


def test_the_foreman_worker_runs_both_checks(waiting_job):
    """A worker pass notes the waiting job and emits the loss (no separate process is needed)."""
    subcontractor, _ = subcontractor_register(name="dc-sc", sites=["dc"], modules=["lab"])
    _poll_at(subcontractor, timezone.now() - timedelta(minutes=5))
    Worker(batch=10).run_once()
    waiting_job.refresh_from_db()
    assert "dc-sc serving site rack1 with module lab has not polled" in waiting_job.message
    assert Event.objects.filter(kind="subcontractor.lost", target_id=str(subcontractor.pk)).count() == 1
