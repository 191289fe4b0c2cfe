"""`manage.py foreman`: run a foreman worker until stopped (`--once` for a single pass)."""

from django.core.management.base import BaseCommand

from contractor.foreman.worker import Worker


class Command(BaseCommand):
    help = "Run a foreman worker: start, step and finish jobs. SIGTERM/SIGINT finish the current step and exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Do one pass over runnable jobs and exit.")
        parser.add_argument("--batch", type=int, default=20, help="Jobs claimed per pass (default 20).")
        parser.add_argument(
            "--step-batch",
            type=int,
            default=None,
            help="Jobs stepped per transaction on PostgreSQL (default FOREMAN_STEP_BATCH, 8).",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when idle (default 1).")

    def handle(self, *args, once=False, batch=20, interval=1.0, step_batch=None, **options):
        worker = Worker(batch=batch, interval=interval, step_batch=step_batch)
        if once:
            stepped = worker.run_once()
            self.stdout.write(f"Stepped {stepped} job(s)")
            return
        worker.run()
