"""SIGKILL the foreman worker and the subcontractor daemon while tasks are leased: every job still finishes once."""

import signal
import socket

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from tests.e2e.conftest import free_tcp_port, wait_until
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.slow

JOBS = 4


WAIT = "iputils.wait_for_port( port={port}, address='127.0.0.1', timeout=30, interval=0.2 )"


def _jobs(port: int) -> list[Job]:
    site = SiteFactory(name="lab")
    blueprint = FoundationBluePrintFactory()
    ScriptFactory(
        blueprint=blueprint,
        name="create",
        script=f"first = {WAIT.format(port=port)}\nsecond = {WAIT.format(port=port)}\n",
    )
    return [
        services.job_create(target=ManualFoundationFactory(site=site, blueprint=blueprint), script_name="create")
        for _ in range(JOBS)
    ]


def test_killed_worker_and_daemon_lose_nothing_and_apply_nothing_twice(processes):
    """With tasks leased, SIGKILL the worker and the daemon; replacements finish every job, each result applied once."""
    port = free_tcp_port()  # nothing listens yet: the daemon holds its wait_for_port leases
    jobs = _jobs(port)
    _, token = subcontractor_register(name="sc-e2e", sites=["lab"], modules=["iputils"])
    url = processes.contractor()
    processes.foreman("foreman-1")
    processes.subcontractor("daemon-1", url, token, "lab", "iputils = 8")
    leased = lambda: Task.objects.filter(state=TaskState.LEASED).count() >= JOBS  # noqa: E731
    assert wait_until(leased, 30), processes.logs()
    first_leased = set(Task.objects.filter(state=TaskState.LEASED).values_list("pk", flat=True))
    processes.kill("foreman-1", signal.SIGKILL)
    processes.kill("daemon-1", signal.SIGKILL)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        processes.foreman("foreman-2")
        processes.subcontractor("daemon-2", url, token, "lab", "iputils = 8")
        finished = lambda: not Job.objects.exclude(state=JobState.DONE).exists()  # noqa: E731
        assert wait_until(finished, 45), (
            "\n".join(f"job {j.pk}: {j.state} {j.message}" for j in Job.objects.all()) + "\n" + processes.logs()
        )
    for job in jobs:
        tasks = list(Task.objects.filter(job=job).order_by("pk"))
        assert [(t.function, t.state) for t in tasks] == [("wait_for_port", TaskState.APPLIED)] * 2
        assert JobLog.objects.filter(job_id_ref=job.pk).count() == 1
    for task in Task.objects.filter(pk__in=first_leased):
        assert task.attempts > 1, f"task {task.pk} was leased by the killed daemon but attempts={task.attempts}"
