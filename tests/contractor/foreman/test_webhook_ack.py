"""webhook.wait_for_ack(): a job posts an event and waits, across worker passes, until a receiver acknowledges it."""

import http.server
import json
import threading
from urllib.parse import urlparse

import pytest

from contractor.foreman import runner, services
from contractor.foreman.choices import JobState
from contractor.webhooks.choices import AckState
from contractor.webhooks.delivery import Worker, verify
from contractor.webhooks.models import AckRequest, Event, Subscription, ack_token

pytestmark = pytest.mark.django_db

WAIT = "note = webhook.wait_for_ack( event='disk.replace', data={ disk = 'sdb' }, timeout=600 )\n"


@pytest.fixture(autouse=True)
def fast_polls(settings):
    settings.FOREMAN_ACK_POLL_SECONDS = 0


@pytest.fixture
def storage(db):
    return Subscription.objects.create(name="storage", url="http://127.0.0.1:9/hook", events=["disk.*"], secret="k")


def _job(foundation_with, source=WAIT):
    return services.job_create(target=foundation_with(create=source), script_name="create")


def _ack_path(ack: AckRequest) -> str:
    return urlparse(ack.event.body()["data"]["ack"]["url"]).path


def test_job_waits_over_several_passes_until_acknowledged_through_the_api(
    foundation_with, run_worker, storage, anon_client
):
    """The job emits one event with the ack URL, keeps running (saying who it waits for) and returns the posted data."""
    job = _job(foundation_with)
    assert run_worker(passes=4) == 4
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.message == "Waiting for storage to acknowledge disk.replace"
    ack = AckRequest.objects.get()
    data = ack.event.payload["data"]
    assert (ack.event.kind, data["disk"], data["job"]) == ("disk.replace", "sdb", job.pk)
    assert ack.event.target_id == job.foundation.locator and ack.event.deliveries.get().subscription == storage
    assert json.loads(json.dumps(job.runner_state))["call"]["state"]["ack"] == ack.pk
    assert ack_token(ack.event) not in json.dumps(job.runner_state), "the job's state names its request by id only"
    response = anon_client.post(_ack_path(ack), {"data": {"note": "sdb drained"}}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "acked"
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["note"] == {"note": "sdb drained"}
    assert Event.objects.filter(kind="disk.replace").count() == 1


def test_an_acknowledgement_without_data_returns_true(foundation_with, run_worker, anon_client):
    """Posting no data makes the call's value true; without subscribers the message says none matches."""
    job = _job(foundation_with, "ok = webhook.wait_for_ack( event='disk.replace' )\n")
    run_worker(passes=2)
    job.refresh_from_db()
    assert "no subscription matches" in job.message
    assert anon_client.post(_ack_path(AckRequest.objects.get()), {}, format="json").status_code == 200
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["ok"] is True


def test_a_second_acknowledgement_is_harmless(foundation_with, run_worker, storage, anon_client):
    """A second POST answers 200 and changes nothing: the job gets the first receiver's data."""
    job = _job(foundation_with)
    run_worker(passes=2)
    path = _ack_path(AckRequest.objects.get())
    anon_client.post(path, {"data": {"by": "first"}}, format="json")
    run_worker()
    second = anon_client.post(path, {"data": {"by": "second"}}, format="json")
    assert second.status_code == 200 and second.json()["ack_data"] == {"by": "first"}
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["note"] == {"by": "first"}


def test_timeout_errors_and_reset_asks_again(foundation_with, run_worker, storage, anon_client, monkeypatch):
    """Past the timeout the job errors naming the event and receiver; reset emits a new request that can finish it."""
    job = _job(foundation_with)
    run_worker(passes=2)
    first = AckRequest.objects.get()
    later = runner.clock() + 601
    monkeypatch.setattr(runner, "clock", lambda: later)
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR
    assert (
        job.message == "No acknowledgement of disk.replace from storage within 600 seconds; reset the job to ask again"
    )
    first.refresh_from_db()
    assert first.state == AckState.EXPIRED
    late = anon_client.post(_ack_path(first), {"data": {"late": True}}, format="json")
    assert late.status_code == 409 and "stopped waiting" in late.json()["non_field_errors"][0]
    first.refresh_from_db()
    assert first.state == AckState.EXPIRED and first.ack_data == {} and first.acked_at is None
    services.job_reset(job=job)
    run_worker(passes=2)
    job.refresh_from_db()
    second = AckRequest.objects.exclude(pk=first.pk).get()
    assert job.state == JobState.RUNNING and job.runner_state["call"]["state"]["ack"] == second.pk
    anon_client.post(_ack_path(second), {"data": {"again": True}}, format="json")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["note"] == {"again": True}


@pytest.mark.parametrize(
    "call",
    [
        "webhook.wait_for_ack( event='bad kind!' )",
        "webhook.wait_for_ack( event='x', timeout=-1 )",
        "webhook.wait_for_ack( event='x', data=3 )",
    ],  # fmt: skip
)
def test_bad_arguments_abort_the_job_and_emit_nothing(foundation_with, run_worker, call):
    """A wrong event kind, timeout or data is a bad_parameter error before any event is emitted."""
    job = _job(foundation_with, call + "\n")
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ABORTED and job.runner_state["outcome"]["error"]["kind"] == "bad_parameter"
    assert not Event.objects.filter(kind__in=["x", "bad kind!"]).exists()


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that keeps each signed body it is sent and answers 200."""

    def __init__(self):
        self.bodies = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((body, self.headers["X-Contractor-Signature"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_a_real_receiver_gets_the_event_and_its_acknowledgement_finishes_the_job(
    foundation_with, run_worker, receiver, anon_client
):
    """The delivery worker POSTs the signed event to a live server; the ack URL it carries lets the job finish."""
    Subscription.objects.create(name="storage-svc", url=receiver.url, events=["disk.replace"], secret="k")
    job = _job(foundation_with)
    run_worker(passes=2)
    worker = Worker(timeout=2, threads=2)
    try:
        assert worker.run_once() == 1
    finally:
        worker.close()
    (body, signature) = receiver.bodies[0]
    assert verify(body, "k", signature)
    payload = json.loads(body)
    assert payload["event"] == "disk.replace" and payload["data"]["job"] == job.pk
    ack_url = urlparse(payload["data"]["ack"]["url"])
    assert anon_client.post(ack_url.path, {"data": {"drained": "sdb"}}, format="json").status_code == 200
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.runner_state["variables"]["note"] == {"drained": "sdb"}


def test_timeout_may_be_a_duration(foundation_with, run_worker, monkeypatch):
    """timeout=1:00 waits a minute: the job is still waiting at 50 s and errors after 60 s."""
    job = _job(foundation_with, "webhook.wait_for_ack( event='disk.replace', timeout=1:00 )\n")
    run_worker(passes=2)
    start = runner.clock()
    monkeypatch.setattr(runner, "clock", lambda: start + 50)
    run_worker(passes=2)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING
    monkeypatch.setattr(runner, "clock", lambda: start + 61)
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.ERROR and "within 60 seconds" in job.message


def test_a_cancelled_job_stops_waiting_and_a_late_answer_is_refused(foundation_with, run_worker, storage, anon_client):
    """Cancelling a job that waits for an acknowledgement expires its request: the receiver's answer afterwards is a
    409 and records nothing, and the event no longer counts as awaited (it may be pruned)."""
    job = _job(foundation_with)
    run_worker(passes=2)
    ack = AckRequest.objects.get()
    other = _job(foundation_with)  # another job's request stays as it is
    run_worker(passes=2)
    services.job_cancel(job=job)
    ack.refresh_from_db()
    assert ack.state == AckState.EXPIRED
    assert AckRequest.objects.exclude(pk=ack.pk).get().state == AckState.WAITING, other
    late = anon_client.post(_ack_path(ack), {"data": {"late": True}}, format="json")
    assert late.status_code == 409 and "cancelled" in late.json()["non_field_errors"][0]
    ack.refresh_from_db()
    assert ack.ack_data == {} and ack.acked_at is None
