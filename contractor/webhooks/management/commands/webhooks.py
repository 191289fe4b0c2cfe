"""`manage.py webhooks`: deliver webhook events until stopped (`--once` for a single pass)."""

import signal

from django.core.management.base import BaseCommand

from contractor.webhooks import services as events
from contractor.webhooks.delivery import Worker


class Command(BaseCommand):
    help = "Deliver webhook events: signed POSTs, retried with backoff. SIGTERM/SIGINT finish what is in flight."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due now and exit.")
        parser.add_argument("--threads", type=int, default=None, help="Receivers served at once (default 8).")
        parser.add_argument("--timeout", type=float, default=None, help="Seconds to wait for a receiver (default 5).")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between looks for new events.")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Delete the events past CONTRACTOR_EVENT_RETENTION_DAYS that nothing waits for, and exit.",
        )

    def handle(self, *args, once=False, threads=None, timeout=None, poll=1.0, prune=False, **options):
        if prune:
            days = events.event_retention_days()
            if days <= 0:
                self.stdout.write("CONTRACTOR_EVENT_RETENTION_DAYS is 0: events are kept for ever; nothing pruned")
                return
            self.stdout.write(f"Pruned {events.events_prune()} event(s) older than {days:g} day(s)")
            return
        overrides = {name: value for name, value in (("threads", threads), ("timeout", timeout)) if value is not None}
        worker = Worker(**overrides)
        if once:
            attempts = worker.run_once()
            worker.close()
            self.stdout.write(f"Made {attempts} delivery attempt(s)")
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        worker.run(poll=poll)
