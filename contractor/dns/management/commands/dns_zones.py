"""`manage.py dns_zones --output DIR [--command "rndc reload"]`: write the BIND zone files that changed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contractor.dns.writer import zones_write


class Command(BaseCommand):
    help = "Write a BIND zone file for every DNS zone and reverse zone; rewrite only the changed ones."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="Directory for the zone files.")
        parser.add_argument("--command", help='Run after any file was written, e.g. "rndc reload".')
        parser.add_argument("--timeout", type=float, default=60, help="Seconds the command may take.")

    def handle(self, *args, output, command, timeout, **options):
        result = zones_write(output=output, command=command, timeout=timeout)
        for origin in result.written:
            self.stdout.write(f"wrote {origin}")
        self.stdout.write(f"{len(result.written)} written, {len(result.unchanged)} unchanged")
        if result.command_status is not None:
            self.stdout.write(f"{command}: exit {result.command_status}")
            if result.command_status != 0:
                raise CommandError(f"{command} failed (exit {result.command_status}): {result.command_output}")
