"""Fixtures for the webhooks tests: subscriptions and a structure to emit events about."""

import http.server
import json
import threading
import time

import factory
import pytest

from contractor.webhooks.models import Subscription
from tests.factories import StructureFactory


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    name = factory.Sequence(lambda n: f"hook-{n}")
    url = "http://127.0.0.1:9/hook"
    events = factory.LazyFunction(lambda: ["*"])
    secret = "s3cret"


@pytest.fixture
def make_subscription(db):
    return SubscriptionFactory


@pytest.fixture
def structure(db):
    return StructureFactory(hostname="web1")


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that records every POST; it can fail, be slow, or hang."""

    def __init__(self):
        self.requests = []  # (monotonic arrival, headers, body)
        self.accepted = []  # the payloads answered with 200
        self.fail_next = 0
        self.delay = 0.0
        self.hang = False
        self.before_answer = lambda: None  # called in the request's thread before it answers; raising makes a 500
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((time.monotonic(), dict(self.headers), body))
                if receiver.hang:
                    receiver.release.wait(10)
                    return
                time.sleep(receiver.delay)
                status = 500 if receiver.fail_next > 0 else 200
                try:
                    receiver.before_answer()
                except Exception:
                    status = 500
                receiver.fail_next -= 1
                if status == 200:
                    receiver.accepted.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def payloads(self):
        return [json.loads(body) for _, _, body in self.requests]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def make_receiver():
    made = []

    def make():
        made.append(Receiver())
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def worker():
    from contractor.webhooks.delivery import Worker

    made = Worker(timeout=0.5, threads=4, backoff_base=10, backoff_cap=60, max_attempts=5)
    yield made
    made.close()
