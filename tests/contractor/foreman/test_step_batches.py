"""Several job steps in one transaction on PostgreSQL (FOREMAN_STEP_BATCH): one claim and one commit for the batch,
the same outcome as stepping each job alone, a bad job or a contended answer undoing the batch, not the others."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractor.foreman import runner, services, statements
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.foreman.worker import Worker
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.webhooks.models import Event
from tests.contractor.foreman.test_worker_claims import TWO, _answer_all, _jobs


def _started(foundation_with, count) -> list[Job]:
    """`count` jobs of two calls, each stepped once (its first call dispatched) and answered."""
    jobs = _jobs(foundation_with, TWO, count)
    Worker(batch=count, step_batch=1).run_once()
    _answer_all()
    return jobs


def _ids(jobs) -> list[int]:
    return [job.pk for job in jobs]


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 8])
def test_a_batch_claims_once_and_writes_once(on_postgres, foundation_with, size):
    """K answered steps in one transaction in 4 queries whatever K: its begin, one claim, one write, its commit."""
    jobs = _started(foundation_with, size)
    with CaptureQueriesContext(connection) as captured:
        assert sorted(runner.job_step_batch(job_ids=_ids(jobs), size=size)) == sorted(_ids(jobs))
    assert len(captured) == 4
    assert Task.objects.filter(state=TaskState.APPLIED).count() == size
    assert Task.objects.filter(state=TaskState.PENDING).count() == size, "each job's second call dispatched"
    assert set(Job.objects.values_list("step_count", flat=True)) == {2}


@pytest.mark.django_db
def test_a_batch_takes_the_least_recently_stepped_first(on_postgres, foundation_with):
    """The batch is the `size` least recently stepped candidates, in that order."""
    jobs = _started(foundation_with, 4)
    order = sorted(Job.objects.filter(pk__in=_ids(jobs)), key=lambda job: job.last_step_at)
    assert runner.job_step_batch(job_ids=_ids(jobs), size=2) == _ids(order[:2])
    assert runner.job_step_batch(job_ids=_ids(jobs), size=8) == _ids(order[2:])
    assert runner.job_step_batch(job_ids=_ids(jobs), size=8) == [], "all wait on their second call now"


@pytest.mark.django_db
def test_a_raising_job_fails_alone_and_the_rest_of_its_batch_is_stepped(on_postgres, foundation_with):
    """A job whose step raises undoes its batch; the worker steps the batch again one job at a time, so the others
    are stepped once and only the bad one counts a failure (three in a row put it in error, as without batches)."""
    broken, *good = _started(foundation_with, 4)
    Job.objects.filter(pk=broken.pk).update(runner_state={"version": 999})
    worker = Worker(batch=10, step_batch=8)
    assert worker.run_once() == 3
    assert set(Job.objects.filter(pk__in=_ids(good)).values_list("step_count", flat=True)) == {2}
    assert Task.objects.filter(job__in=good, state=TaskState.APPLIED).count() == 3
    assert worker.step_failures == {broken.pk: 1}
    broken.refresh_from_db()
    assert broken.step_count == 1 and broken.tasks.get().state == TaskState.DONE, "its step left no trace"
    worker.run_once()
    worker.run_once()
    broken.refresh_from_db()
    assert broken.state == JobState.ERROR and "failed 3 times in a row" in broken.message


@pytest.mark.django_db
def test_contention_in_a_batch_undoes_it_and_applies_nothing_twice(on_postgres, foundation_with, monkeypatch):
    """When one job's answer was applied meanwhile (here: by the claim's own transaction, as another worker's step
    would), its write raises Contended and the whole batch rolls back; stepped again one at a time, every answer is
    applied exactly once and every next call dispatched once."""
    jobs = _started(foundation_with, 3)
    claim = statements.jobs_claim

    def contended_claim(job_ids, now, limit):
        claimed = claim(job_ids, now, limit)
        if limit > 1:
            Task.objects.filter(job_id=claimed[-1].pk).update(state=TaskState.APPLIED)
        return claimed

    monkeypatch.setattr(statements, "jobs_claim", contended_claim)
    with pytest.raises(runner.BatchUndone) as undone:
        runner.job_step_batch(job_ids=_ids(jobs), size=8)
    assert isinstance(undone.value.__cause__, runner.Contended) and len(undone.value.job_ids) == 3
    assert set(Job.objects.values_list("step_count", flat=True)) == {1}, "the whole batch rolled back"
    assert set(Task.objects.values_list("state", flat=True)) == {TaskState.DONE}
    assert Worker(batch=10, step_batch=8).run_once() == 3
    for job in jobs:
        assert list(job.tasks.order_by("pk").values_list("state", flat=True)) == [TaskState.APPLIED, TaskState.PENDING]
    assert set(Job.objects.values_list("step_count", flat=True)) == {2}


@pytest.mark.django_db
def test_a_batch_finishes_one_job_beside_others_dispatching(on_postgres, foundation_with):
    """One batch: a job's finishing step (its foundation built, its events and log entry) and others' first and
    call steps, each with its own events in order."""
    finishing, calling = _started(foundation_with, 2)
    assert runner.job_step(job_id=finishing.pk)
    _answer_all()
    (fresh,) = _jobs(foundation_with, TWO, 1)
    stepped = runner.job_step_batch(job_ids=_ids([finishing, calling, fresh]), size=8)
    assert sorted(stepped) == sorted(_ids([finishing, calling, fresh]))
    finishing.refresh_from_db()
    assert finishing.state == JobState.DONE
    foundation = finishing.foundation
    assert foundation.state == "built" and foundation.built_at
    located = Event.objects.filter(target_kind="foundation", target_id=foundation.locator).order_by("pk")
    assert list(located.values_list("kind", flat=True)) == ["foundation.located", "foundation.built"]
    for job, kinds in ((finishing, ["job.started", "job.done"]), (calling, ["job.started"]), (fresh, ["job.started"])):
        events = Event.objects.filter(target_kind="job", target_id=str(job.pk)).order_by("pk")
        assert list(events.values_list("kind", flat=True)) == kinds
    log = JobLog.objects.get(job_id_ref=finishing.pk)
    assert log.outcome == JobState.DONE and log.finished_at == finishing.finished_at
    assert JobLog.objects.get(job_id_ref=fresh.pk).started_at is not None
    pending = Task.objects.filter(state=TaskState.PENDING)
    assert sorted(pending.values_list("job_id", flat=True)) == sorted(_ids([calling, fresh]))


@pytest.mark.django_db
def test_a_step_too_large_in_a_batch_errors_that_job_only(on_postgres, foundation_with, settings):
    """StateTooLargeError undoes the batch; stepped one at a time, that job goes to error and the others step."""
    from tests.contractor.foreman.test_worker_claims import GROWS

    settings.FOREMAN_STATE_MAX_BYTES = 4_000
    grows = services.job_create(target=foundation_with(create=GROWS), script_name="create")
    others = _jobs(foundation_with, TWO, 2)
    Worker(batch=10, step_batch=1).run_once()
    _answer_all()
    assert Worker(batch=10, step_batch=8).run_once() == 3
    grows.refresh_from_db()
    assert grows.state == JobState.ERROR and "over the limit of 4,000" in grows.message
    assert set(Job.objects.filter(pk__in=_ids(others)).values_list("step_count", flat=True)) == {2}


@pytest.mark.django_db
def test_the_step_batch_comes_from_the_setting_or_the_command(settings):
    """FOREMAN_STEP_BATCH sets a worker's batch (at least 1); `manage.py foreman --step-batch` overrides it."""
    settings.FOREMAN_STEP_BATCH = 5
    assert Worker().step_batch == 5
    assert Worker(step_batch=0).step_batch == 1
    out = io.StringIO()
    call_command("foreman", "--once", "--step-batch", "1", stdout=out)
    assert "Stepped 0 job(s)" in out.getvalue()


@pytest.mark.django_db
def test_a_pass_on_sqlite_steps_one_job_a_transaction(foundation_with):
    """Whatever the setting, a pass elsewhere than PostgreSQL steps each job alone (job_step_next)."""
    if connection.vendor == "postgresql":
        pytest.skip("the single-step path of other databases")
    jobs = _jobs(foundation_with, TWO, 3)
    assert Worker(batch=10, step_batch=8).run_once() == 3
    assert set(Job.objects.filter(pk__in=_ids(jobs)).values_list("step_count", flat=True)) == {1}
