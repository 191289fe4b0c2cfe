"""Several workers on one PostgreSQL database: no job stepped twice at once, and a killed worker loses nothing."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from contractor.building.choices import FoundationState
from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.foreman.worker import Worker
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task

pytestmark = [pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
HITS = "effects.hit()\nmessage( msg='one' )\neffects.hit()\nmessage( msg='two' )\neffects.hit()\n"


def _worker_thread(errors):
    try:
        worker = Worker(batch=10)
        deadline = time.monotonic() + 60
        while Job.objects.exclude(state=JobState.DONE).exists() and time.monotonic() < deadline:
            worker.run_once()
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)
    finally:
        connections.close_all()


def test_two_workers_step_fifty_jobs_without_double_steps(on_postgres, foundation_with):
    """Two workers share 50 jobs: each job runs each statement once (3 hits, 5 steps) and all finish."""
    jobs = [services.job_create(target=foundation_with(create=HITS), script_name="create") for _ in range(50)]
    errors = []
    threads = [threading.Thread(target=_worker_thread, args=(errors,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not errors
    for job in Job.objects.filter(pk__in=[job.pk for job in jobs]):
        assert (job.state, job.step_count) == (JobState.DONE, 3)
        assert JobLog.objects.filter(target_kind="hit", target=str(job.pk)).count() == 3


def _database_url() -> str:
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def _foreman(tmp_path, slow: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        "CONTRACTOR_DATABASE_URL": _database_url(),
        "CONTRACTOR_FOREMAN_TSCRIPT_MODULES": "tests.contractor.foreman.modules.effects_module",
        "FOREMAN_TEST_SLOW_FILE": str(tmp_path / "slow"),
    }
    if slow:
        (tmp_path / "slow").write_text("sleep")
    else:
        (tmp_path / "slow").unlink(missing_ok=True)
    command = [sys.executable, "manage.py", "foreman", "--interval", "0.1"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_mid_step_loses_nothing(on_postgres, foundation_with, tmp_path):
    """A worker killed while a step sleeps rolls back; a second worker redoes the step and its effects happen once."""
    foundation = foundation_with(create="message( msg='before' )\neffects.hit()\n")
    job = services.job_create(target=foundation, script_name="create")
    first = _foreman(tmp_path, slow=True)
    try:
        assert _wait_for(lambda: (tmp_path / "slow.started").exists(), 30), first.stderr
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
    assert JobLog.objects.filter(target_kind="hit").count() == 0  # the killed step's effect rolled back
    second = _foreman(tmp_path, slow=False)
    try:
        assert _wait_for(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, 30)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0
    finally:
        second.kill()
    foundation.refresh_from_db()
    assert foundation.state == FoundationState.BUILT
    assert JobLog.objects.filter(target_kind="hit", target=str(job.pk)).count() == 1
    assert Job.objects.get(pk=job.pk).step_count == 2


def test_an_idle_worker_wakes_when_a_task_gets_its_answer(on_postgres, foundation_with):
    """A worker sleeping out a long interval (LISTEN) wakes within a second of an answer's commit, not at the
    interval's end; a change that answers nothing does not wake it."""
    job = services.job_create(target=foundation_with(create="a = lab.power( port=1 )\n"), script_name="create")
    worker = Worker(batch=5, interval=30)
    assert worker.cycle() == 1 and worker.cycle() == 0, "the job now waits on its task"
    task = job.tasks.get()
    woke = []

    def answer():
        time.sleep(0.3)
        try:
            Task.objects.filter(pk=task.pk).update(updated=timezone.now())  # no answer: no notice
            time.sleep(0.3)
            Task.objects.filter(pk=task.pk).update(state=TaskState.DONE, result={"state": "on"})
        finally:
            connections.close_all()

    thread = threading.Thread(target=answer)
    thread.start()
    started = time.monotonic()
    woke.append(worker._sleep())
    waited = time.monotonic() - started
    thread.join(10)
    assert woke == [True] and 0.5 < waited < 3, waited
    assert worker.cycle() == 1
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def _sleep_until(worker, change) -> float:
    """How long `worker` sleeps (a long interval, LISTENing) while another connection commits `change` 0.3 s in;
    asserts that the sleep ended on a notice."""
    worker.cycle()  # LISTENs before its pass, as the worker loop does

    def later():
        time.sleep(0.3)
        try:
            change()
        finally:
            connections.close_all()

    thread = threading.Thread(target=later)
    thread.start()
    started = time.monotonic()
    woke = worker._sleep()
    waited = time.monotonic() - started
    thread.join(10)
    assert woke, "the sleep ended on a notice"
    return waited


def test_an_idle_worker_wakes_when_a_job_is_created_or_resumed(on_postgres, foundation_with):
    """A new job, and a paused one resumed, notify the idle workers (migration foreman 0008): each is started at
    once, not at the end of the workers' interval."""
    target = foundation_with(create="pause()\nmessage( msg='again' )\n")
    worker = Worker(batch=5, interval=30)
    created = []
    waited = _sleep_until(worker, lambda: created.append(services.job_create(target=target, script_name="create")))
    assert 0.2 < waited < 3, waited
    assert worker.cycle() == 1
    job = Job.objects.get(pk=created[0].pk)
    assert job.state == JobState.PAUSED
    waited = _sleep_until(worker, lambda: services.job_resume(job=job))
    assert 0.2 < waited < 3, waited
    assert worker.cycle() == 1
    assert Job.objects.get(pk=job.pk).step_count == 2, "stepped again after the resume"


def test_a_worker_sleeping_when_its_connection_is_cut_reconnects(on_postgres, foundation_with):
    """The server ends the connection a worker LISTENs on while it sleeps: the sleep ends, and the next pass
    reconnects, listens again and steps (a closed connection must not stop the worker)."""
    job = services.job_create(target=foundation_with(create="a = lab.power( port=1 )\n"), script_name="create")
    worker = Worker(batch=5, interval=30)
    assert worker.cycle() == 1 and worker.cycle() == 0
    backend = connection.connection.info.backend_pid
    killer = threading.Thread(target=_terminate, args=(backend,))
    killer.start()
    started = time.monotonic()
    assert worker._sleep() is True and time.monotonic() - started < 10
    killer.join(10)
    Task.objects.filter(job=job).update(state=TaskState.DONE, result={"state": "on"})
    assert worker.cycle() == 1 and connection.connection.info.backend_pid != backend
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def _terminate(backend: int) -> None:
    time.sleep(0.3)
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    finally:
        connections.close_all()
