"""`manage.py dns_zones --output DIR [--command "rndc reload"] [--follow]`: write the BIND zone files that changed."""

import signal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contractor.dns.follow import Follower
from contractor.dns.writer import zones_write


class Command(BaseCommand):
    help = "Write a BIND zone file for every DNS zone and reverse zone; rewrite only the changed ones."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="Directory for the zone files.")
        parser.add_argument("--command", help='Run after any file was written, e.g. "rndc reload".')
        parser.add_argument("--timeout", type=float, default=60, help="Seconds the command may take.")
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Keep running: rewrite the zones a change touches as it commits (SIGTERM/SIGINT stop it).",
        )
        parser.add_argument(
            "--poll", type=float, default=0.5, help="With --follow on SQLite: seconds between looks for changes."
        )

    def handle(self, *args, output, command, timeout, follow=False, poll=0.5, **options):
        if follow:
            follower = Follower(output=output, command=command, timeout=timeout, poll=poll)
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: follower.stop())
            follower.run()
            return
        result = zones_write(output=output, command=command, timeout=timeout)
        for origin in result.written:
            self.stdout.write(f"wrote {origin}")
        self.stdout.write(f"{len(result.written)} written, {len(result.unchanged)} unchanged")
        if result.command_status is not None:
            self.stdout.write(f"{command}: exit {result.command_status}")
            if result.command_status != 0:
                raise CommandError(f"{command} failed (exit {result.command_status}): {result.command_output}")
