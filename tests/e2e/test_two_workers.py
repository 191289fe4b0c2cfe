"""Two foreman worker processes step the same jobs at once (as scripts/serve can run them, SQLite included)."""

import socket

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from tests.e2e.conftest import wait_until
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.slow

JOBS = 8
CHECKS = 3


def test_two_foreman_workers_step_each_job_once(processes):
    """Every job makes exactly one task per call and ends done; no worker step fails on a locked database."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        site = SiteFactory(name="lab")
        blueprint = FoundationBluePrintFactory()
        check = f"iputils.port_check( port={port}, address='127.0.0.1', timeout=2 )"
        source = "".join(f'c{n} = {check}\nif c{n} != "open" then fatal_error( msg=c{n} )\n' for n in range(CHECKS))
        ScriptFactory(blueprint=blueprint, name="create", script=source)
        jobs = [
            services.job_create(target=ManualFoundationFactory(site=site, blueprint=blueprint), script_name="create")
            for _ in range(JOBS)
        ]
        _, token = subcontractor_register(name="sc-e2e", sites=["lab"], modules=["iputils"])
        url = processes.contractor()
        processes.foreman("foreman-1")
        processes.foreman("foreman-2")
        processes.subcontractor("daemon", url, token, "lab", "iputils = 8")
        finished = lambda: not Job.objects.exclude(state__in=(JobState.DONE, JobState.ERROR)).exists()  # noqa: E731
        assert wait_until(finished, 60), processes.logs()
    for job in jobs:
        job.refresh_from_db()
        assert job.state == JobState.DONE, f"job {job.pk}: {job.message}\n{processes.logs()}"
        tasks = list(Task.objects.filter(job=job).values_list("function", "state"))
        assert tasks == [("port_check", TaskState.APPLIED)] * CHECKS, tasks
        assert JobLog.objects.filter(job_id_ref=job.pk).count() == 1
    for name in ("foreman-1", "foreman-2"):
        log = (processes.tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in log and "locked" not in log, log
