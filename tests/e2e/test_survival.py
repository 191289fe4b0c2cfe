"""The stack survives faults: SIGKILL every worker and drop the database's connections while jobs run.

Real processes against the test's own PostgreSQL database: Contractor under gunicorn, a foreman worker, the
webhook sender and a subcontractor daemon over HTTP. With the jobs' remote tasks leased, each process is killed
and every other connection to this test database (only this one: other databases on the server are not
touched) is terminated; the processes are started again, the connections are dropped once more while the jobs
finish, and every job ends done with each of its tasks applied once and its events delivered.
"""

import json
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contractor.foreman import services
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job, JobLog
from contractor.subcontracting.choices import TaskState
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import subcontractor_register
from contractor.webhooks.choices import DeliveryState
from contractor.webhooks.models import Delivery
from contractor.webhooks.services import subscription_create
from tests.e2e.conftest import drop_database_connections, wait_until
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory

pytestmark = pytest.mark.slow

JOBS = 4
# Loopback ports of this test's own (18800-18899): Contractor, the port the tasks wait for, the webhook receiver.
CONTRACTOR_PORT, WAITED_PORT, RECEIVER_PORT = 18810, 18811, 18812
WAIT = "iputils.wait_for_port( port={port}, address='127.0.0.1', timeout=40, interval=0.2 )"


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _state(processes) -> str:
    jobs = "\n".join(f"job {job.pk}: {job.state} {job.message}" for job in Job.objects.all())
    tasks = "\n".join(f"task {t.pk} job {t.job_id}: {t.function} {t.state}" for t in Task.objects.order_by("pk"))
    return f"{jobs}\n{tasks}\n{processes.logs()}"


def test_jobs_finish_once_through_killed_workers_and_dropped_connections(on_postgres, processes):
    site = SiteFactory(name="lab")
    blueprint = FoundationBluePrintFactory()
    script = f"first = {WAIT.format(port=WAITED_PORT)}\nsecond = {WAIT.format(port=WAITED_PORT)}\n"
    ScriptFactory(blueprint=blueprint, name="create", script=script)
    receiver = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    subscription_create(name="survival", url=f"http://127.0.0.1:{RECEIVER_PORT}/hook", events=["job.*"])
    jobs = [
        services.job_create(target=ManualFoundationFactory(site=site, blueprint=blueprint), script_name="create")
        for _ in range(JOBS)
    ]
    _, token = subcontractor_register(name="sc-survival", sites=["lab"], modules=["iputils"])
    try:
        url = processes.contractor(CONTRACTOR_PORT, "contractor-1")
        processes.foreman("foreman-1")
        processes.webhooks("webhooks-1")
        processes.subcontractor("daemon-1", url, token, "lab", "iputils = 8")
        leased = lambda: Task.objects.filter(state=TaskState.LEASED).count() >= JOBS  # noqa: E731
        assert wait_until(leased, 30), _state(processes)

        for name in ("foreman-1", "webhooks-1", "daemon-1", "contractor-1"):
            processes.kill(name, signal.SIGKILL)
        drop_database_connections()

        with socket.socket() as listener:
            listener.bind(("127.0.0.1", WAITED_PORT))
            listener.listen(64)
            processes.contractor(CONTRACTOR_PORT, "contractor-2")
            processes.foreman("foreman-2")
            processes.webhooks("webhooks-2")
            processes.subcontractor("daemon-2", url, token, "lab", "iputils = 8")
            some_applied = lambda: Task.objects.filter(state=TaskState.APPLIED).exists()  # noqa: E731
            assert wait_until(some_applied, 30), _state(processes)
            assert drop_database_connections() > 0  # the restarted processes were connected, and lose it mid-run
            finished = lambda: not Job.objects.exclude(state=JobState.DONE).exists()  # noqa: E731
            assert wait_until(finished, 45), _state(processes)
            delivered = lambda: not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()  # noqa: E731
            assert wait_until(delivered, 30), _state(processes)
    finally:
        receiver.shutdown()

    for job in jobs:
        tasks = list(Task.objects.filter(job=job).order_by("pk"))
        assert [(t.function, t.state) for t in tasks] == [("wait_for_port", TaskState.APPLIED)] * 2, _state(processes)
        assert JobLog.objects.filter(job_id_ref=job.pk).count() == 1
    assert Delivery.objects.filter(event__kind="job.done").count() == JOBS
    for name in ("foreman-2", "webhooks-2", "daemon-2", "contractor-2"):
        assert processes.running[name].poll() is None, f"{name} exited\n{processes.logs()}"
