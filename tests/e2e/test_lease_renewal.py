"""A task that runs longer than its lease: the daemon renews the lease while the handler runs, so Contractor
neither fails the task (its last attempt) nor hands it out again, and the job finishes with the one result."""

import socket

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from tests.e2e.conftest import free_tcp_port, wait_until
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.slow

LEASE = 1  # seconds; the task below runs for at least three of them


def test_a_task_longer_than_its_lease_keeps_it_and_finishes_once(processes):
    """One attempt allowed and a 1 s lease; the daemon's wait_for_port runs 3 s before its port opens. The task
    stays leased with attempt 1 all that time, and the job ends done with that task applied."""
    processes.env.update(CONTRACTOR_TASK_LEASE_SECONDS=str(LEASE), CONTRACTOR_TASK_MAX_ATTEMPTS="1")
    port = free_tcp_port()
    site = SiteFactory(name="lab")
    blueprint = FoundationBluePrintFactory()
    wait = f"iputils.wait_for_port( port={port}, address='127.0.0.1', timeout=30, interval=0.2 )"
    ScriptFactory(blueprint=blueprint, name="create", script=f"up = {wait}\n")
    job = services.job_create(target=ManualFoundationFactory(site=site, blueprint=blueprint), script_name="create")
    _, token = subcontractor_register(name="sc-lease", sites=["lab"], modules=["iputils"])
    url = processes.contractor()
    processes.foreman("foreman")
    processes.subcontractor("daemon", url, token, "lab", "iputils = 2")
    leased = lambda: Task.objects.filter(job=job, state=TaskState.LEASED).exists()  # noqa: E731
    assert wait_until(leased, 30), processes.logs()
    lost = lambda: Task.objects.filter(job=job).exclude(state=TaskState.LEASED).exists()  # noqa: E731
    assert not wait_until(lost, 3 * LEASE), f"{list(Task.objects.filter(job=job).values())}\n{processes.logs()}"
    (task,) = Task.objects.filter(job=job)
    assert task.attempts == 1, processes.logs()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        done = lambda: Job.objects.filter(pk=job.pk, state=JobState.DONE).exists()  # noqa: E731
        assert wait_until(done, 30), f"{Job.objects.get(pk=job.pk).message}\n{processes.logs()}"
    task.refresh_from_db()
    assert (task.state, task.attempts) == (TaskState.APPLIED, 1)
