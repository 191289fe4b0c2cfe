"""How a worker claims jobs: one query claims and loads a job, held jobs are skipped, a bad job does not stop a pass,
and a step's queries do not grow with the number of jobs."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contractor.foreman import runner, selectors, services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.foreman.worker import Worker
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.webhooks.models import Event

POWER = "state = lab.power( port=4 )\nmessage( msg='power is ' . state )\n"
TWO = "a = lab.power( port=1 )\nb = lab.power( port=2 )\n"


def _jobs(foundation_with, source, count):
    return [services.job_create(target=foundation_with(create=source), script_name="create") for _ in range(count)]


def _answer_all():
    for task in Task.objects.filter(state=TaskState.PENDING):
        task.state, task.result, task.finished_at = TaskState.DONE, {"state": "on"}, timezone.now()
        task.save()


@pytest.mark.django_db
def test_step_next_takes_the_least_recently_stepped_candidate(foundation_with):
    """Only candidates are stepped, the never-stepped first, each once until it is runnable again; then None."""
    first, second, other = _jobs(foundation_with, POWER, 3)
    Job.objects.filter(pk=first.pk).update(last_step_at=timezone.now())
    assert runner.job_step_next(job_ids=[first.pk, second.pk]) == second.pk
    assert runner.job_step_next(job_ids=[first.pk, second.pk]) == first.pk
    assert runner.job_step_next(job_ids=[first.pk, second.pk]) is None, "both wait on their task now"
    assert Job.objects.get(pk=other.pk).step_count == 0


@pytest.mark.django_db
def test_a_pass_applies_answers_first_and_still_starts_a_new_job(foundation_with):
    """With more answered jobs than a pass holds, the pass steps all but one of its places on them and starts one
    never-stepped job: answers are not delayed by a queue of new jobs, and new jobs are not starved by answers."""
    running = _jobs(foundation_with, TWO, 6)
    Worker(batch=6).run_once()
    _answer_all()
    fresh = _jobs(foundation_with, TWO, 3)
    assert Worker(batch=4).run_once() == 4
    assert Task.objects.filter(job__in=running, state=TaskState.APPLIED).count() == 3
    assert sorted(job.step_count for job in Job.objects.filter(pk__in=[job.pk for job in fresh])) == [0, 0, 1]


@pytest.mark.django_db
def test_a_pass_reads_its_candidates_in_one_query_on_postgres(on_postgres, foundation_with):
    """The answered jobs and the others come from one statement: three answered, then the never-stepped one."""
    running = _jobs(foundation_with, TWO, 4)
    Worker(batch=4).run_once()
    _answer_all()
    (fresh,) = _jobs(foundation_with, TWO, 1)
    with CaptureQueriesContext(connection) as captured:
        ids = selectors.job_runnable_ids(4)
    assert len(captured) == 1
    assert set(ids[:3]) < {job.pk for job in running} and ids[3] == fresh.pk


@pytest.mark.django_db
def test_a_job_whose_step_raises_does_not_stop_the_pass(foundation_with):
    """A job that cannot be stepped (unreadable saved state) is logged and skipped; the others of the pass are
    stepped and its own step left no trace (rolled back)."""
    broken, *good = _jobs(foundation_with, POWER, 3)
    Job.objects.filter(pk=broken.pk).update(runner_state={"version": 999}, started_at=timezone.now())
    with pytest.raises(runner.StepFailed) as failed:
        runner.job_step_next(job_ids=[broken.pk])
    assert failed.value.job_id == broken.pk
    assert Worker(batch=10).run_once() == 2
    assert {job.step_count for job in Job.objects.filter(pk__in=[job.pk for job in good])} == {1}
    broken.refresh_from_db()
    assert broken.step_count == 0 and broken.state == JobState.QUEUED and not broken.tasks.exists()


@pytest.mark.django_db
def test_dispatching_a_cookie_twice_makes_one_task(foundation_with):
    """The task row is created once per cookie, whatever asks for it again."""
    (job,) = _jobs(foundation_with, POWER, 1)
    task = {"cookie": "c0ffee", "function": "power_on", "module": "lab", "parameters": {"port": 1}}
    runner._dispatch(job, task)
    runner._dispatch(job, {**task, "parameters": {"port": 2}})
    assert list(Task.objects.filter(cookie="c0ffee").values_list("parameters", flat=True)) == [{"port": 1}]


def _queries_per_answered_step(foundation_with, count) -> list[int]:
    """The queries of stepping each of `count` jobs past an answered task (a 'task done -> next task' step)."""
    jobs = _jobs(foundation_with, TWO, count)
    Worker(batch=count).run_once()
    _answer_all()
    counts = []
    for job in jobs:
        with CaptureQueriesContext(connection) as captured:
            assert runner.job_step(job_id=job.pk)
        counts.append(len(captured))
    return counts


@pytest.mark.django_db
def test_a_step_costs_the_same_queries_however_many_jobs_there_are(foundation_with):
    """Applying a result and dispatching the next task takes a fixed handful of queries, with 3 jobs or 40."""
    few = _queries_per_answered_step(foundation_with, 3)
    many = _queries_per_answered_step(foundation_with, 40)
    assert set(few) == set(many) and len(set(many)) == 1
    budget = STEP_BUDGETS["call"] if connection.vendor == "postgresql" else 8  # SQLite reads answers, cookie apart
    assert many[0] <= budget, "begin, claim+load with the answers, one write (tasks, job row), commit"
    assert Task.objects.filter(state=TaskState.APPLIED).count() == 43


#: Queries of each kind of step on PostgreSQL, the savepoint pair standing for BEGIN and COMMIT: the first (claim,
#: which also loads the dependency the blocker check looks at, one write with the log entry's start and the started
#: event), one applying an answer and dispatching the next call (claim, write), and the last (claim, the foundation
#: locked and checked, one write that sets it built, closes the log entry and inserts the events).
STEP_BUDGETS = {"start": 4, "call": 4, "finish": 5}


@pytest.mark.django_db
def test_each_kind_of_step_keeps_its_query_budget_on_postgres(on_postgres, foundation_with):
    """A job of two remote calls: its first step, the step between the calls and the finishing step each cost
    exactly their budget (STEP_BUDGETS), events and log entry included."""
    (job,) = _jobs(foundation_with, TWO, 1)
    counts = []
    for _ in range(3):
        _answer_all()
        with CaptureQueriesContext(connection) as captured:
            assert runner.job_step(job_id=job.pk)
        counts.append(len(captured))
    assert counts == list(STEP_BUDGETS.values())
    job.refresh_from_db()
    assert job.state == JobState.DONE
    foundation = job.foundation
    assert foundation.state == "built" and foundation.located_at and foundation.built_at, "stored by the step's write"
    located = Event.objects.filter(target_kind="foundation", target_id=foundation.locator)
    assert list(located.values_list("kind", flat=True)) == ["foundation.located", "foundation.built"]
    kinds = list(Event.objects.filter(target_kind="job", target_id=str(job.pk)).values_list("kind", flat=True))
    assert kinds == ["job.started", "job.done"]
    log = JobLog.objects.get(job_id_ref=job.pk)
    assert log.started_at == job.started_at and log.finished_at == job.finished_at and log.outcome == JobState.DONE
    assert log.steps == job.steps


@pytest.mark.django_db(transaction=True)
def test_a_job_another_worker_holds_is_skipped_not_waited_for(on_postgres, foundation_with):
    """While another transaction holds a job's row, a claim skips it at once and steps the next candidate."""
    held, free = _jobs(foundation_with, POWER, 2)
    locked, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                Job.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(20)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        assert runner.job_step_next(job_ids=[held.pk, free.pk]) == free.pk
        assert runner.job_step_next(job_ids=[held.pk, free.pk]) is None
    finally:
        release.set()
        thread.join(20)
    assert not errors
    assert runner.job_step_next(job_ids=[held.pk, free.pk]) == held.pk


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_connection_and_survives_losing_it(second_connection, foundation_with):
    """Passes reuse one database connection; when the server drops it, that pass ends and the next reconnects."""
    first, second = _jobs(foundation_with, POWER, 2)
    worker = Worker(batch=1)
    assert worker.cycle() == 1
    backend = connection.connection.info.backend_pid
    assert worker.cycle() == 1
    assert connection.connection.info.backend_pid == backend, "no reconnect between passes"
    _answer_all()
    with second_connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert worker.cycle() == 0, "the pass that met the dropped connection steps nothing"
    assert worker.cycle() == 1
    assert connection.connection.info.backend_pid != backend
    for _ in range(10):
        worker.cycle()
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}


GROWS = (
    "a = lab.power( port=1 )\n"
    "s = 'abcdefgh'\nn = 0\nwhile n < 12 do begin()\n  s = s . s\n  n = n + 1\nend\n"
    "b = lab.power( port=2 )\n"
)


@pytest.mark.django_db
def test_a_step_that_would_save_too_large_a_state_errors_the_job_and_loses_nothing(foundation_with, settings):
    """Past FOREMAN_STATE_MAX_BYTES the step is rolled back whole (its answer stays to be applied, the saved state is
    the one before), and the job goes to error saying how large the state would have been, instead of being
    retried every pass."""
    settings.FOREMAN_STATE_MAX_BYTES = 4_000
    (job,) = _jobs(foundation_with, GROWS, 1)
    assert runner.job_step_next(job_ids=[job.pk]) == job.pk  # dispatches lab.power( port=1 ), a small state
    job.refresh_from_db()
    saved = job.runner_state
    _answer_all()
    assert runner.job_step_next(job_ids=[job.pk]) == job.pk  # applies it, grows s to 32 KiB, would dispatch port=2
    job.refresh_from_db()
    assert job.state == JobState.ERROR
    assert job.message.startswith("The script's state would be ") and "over the limit of 4,000" in job.message
    assert job.runner_state == saved
    assert list(job.tasks.values_list("state", flat=True)) == [TaskState.DONE], "the answer is not lost"
    assert job.steps[-1]["status"] == JobState.ERROR and job.steps[-1]["message"] == job.message
    assert runner.job_step_next(job_ids=[job.pk]) is None, "an errored job is not stepped again"
