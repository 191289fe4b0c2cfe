"""`dns_zones --follow`: rewrite the zone files a change touches as it commits, until stopped.

On PostgreSQL the triggers of migration dns 0002 NOTIFY `contractor_dns` with "<kind>:<id>" at commit; the
follower LISTENs, gathers what arrived, brings its ZoneState up to date with just those rows and writes the
zone files whose content changed. Other databases have no notifications: the follower asks SQLite whether
anything committed (PRAGMA data_version) every `poll` seconds and then reads everything again. A lost
database connection is retried with a growing pause; after it the follower reads everything again, since
notices sent while it was away are lost.
"""

import logging
import select
import time
from collections import defaultdict
from pathlib import Path

from django.db import InterfaceError, OperationalError, connection

from contractor.dns.state import ZoneState
from contractor.dns.writer import WriteResult, texts_write

CHANNEL = "contractor_dns"
APPLICATION_NAME = "contractor dns_zones --follow"
KINDS = ("zone", "site", "block", "foundation", "structure")
RELOAD_ALL = 5000  # ids changed at once above which reading everything again is the quicker way
HEALTH_CHECK = 10.0  # seconds without a notice after which the connection is checked with a query

log = logging.getLogger(__name__)


class Follower:
    """Keeps the zone files in `output` current; `run()` returns after `stop()`."""

    def __init__(self, *, output: Path, command: str | None = None, timeout: float = 60, poll: float = 0.5):
        self.output, self.command, self.timeout, self.poll = output, command, timeout, poll
        self.max_backoff = 30.0
        self.stopping = False
        self.zones: ZoneState | None = None
        self.version = None  # SQLite's data_version when last read

    def stop(self):
        self.stopping = True

    def run(self):
        backoff = 0.5
        while not self.stopping:
            try:
                self.connect()
                backoff = 0.5
                while not self.stopping:
                    self.step(self.wait())
            except (OperationalError, InterfaceError) as error:
                log.warning("database unreachable (%s); trying again in %.1f s", str(error).strip(), backoff)
                self._close()
                self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    def connect(self):
        """Listen for notices (PostgreSQL), then read everything and write what differs from the disk."""
        connection.ensure_connection()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET application_name = %s", [APPLICATION_NAME])  # to tell it in pg_stat_activity
                cursor.execute(f"LISTEN {CHANNEL}")
            else:
                self.version = self._data_version(cursor)
        log.info("following changes on %s (%s)", connection.vendor, connection.settings_dict["NAME"])
        self.zones = None
        self.step(None)

    def wait(self) -> dict[str, set[int]] | None:
        """What committed since the last call, by kind -> ids; None: read everything; {}: nothing happened."""
        if connection.vendor != "postgresql":
            self._sleep(self.poll)
            with connection.cursor() as cursor:
                version = self._data_version(cursor)
            changed, self.version = version != self.version, version
            return None if changed else {}
        raw = connection.connection
        with connection.wrap_database_errors:
            if not raw.notifies and not select.select([raw], [], [], HEALTH_CHECK)[0]:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")  # a silent network loses no notice but must be noticed
            raw.poll()
            notices, raw.notifies[:] = list(raw.notifies), []
        return parse(notice.payload for notice in notices)

    def step(self, changes: dict[str, set[int]] | None) -> WriteResult | None:
        """Catch up with `changes` (None: everything) and write the zone files whose content changed."""
        if changes == {}:
            return None
        start = time.perf_counter()
        if changes is None or sum(map(len, changes.values())) > RELOAD_ALL or self.zones is None:
            before = self.zones.origins() if self.zones else []
            self.zones = ZoneState.load()
            dirty = set(before) | self.zones.take_dirty()
        else:
            self.zones.apply(changes)
            dirty = self.zones.take_dirty()
        result = texts_write(
            output=self.output,
            texts=self.zones.texts(dirty),
            origins=self.zones.origins(),
            command=self.command,
            timeout=self.timeout,
        )
        self._log(result, time.perf_counter() - start)
        return result

    def _log(self, result: WriteResult, elapsed: float):
        if not result.written:
            return
        files = ", ".join(
            f"{origin} ({result.serials[origin]})" if origin in result.serials else origin for origin in result.written
        )
        log.info("wrote %s in %.0f ms", files, elapsed * 1000)
        if result.command_status is not None:
            level = logging.INFO if result.command_status == 0 else logging.ERROR
            log.log(level, "%s: exit %s %s", self.command, result.command_status, result.command_output)

    @staticmethod
    def _data_version(cursor) -> int:
        cursor.execute("PRAGMA data_version")
        return cursor.fetchone()[0]

    def _close(self):
        try:
            connection.close()
        except (OperationalError, InterfaceError):
            pass

    def _sleep(self, seconds: float):
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))


def parse(payloads) -> dict[str, set[int]]:
    """Notice payloads ("structure:12") as kind -> ids; an unknown payload is logged and skipped."""
    changes = defaultdict(set)
    for payload in payloads:
        kind, _, key = payload.partition(":")
        if kind in KINDS and key.isdigit():
            changes[kind].add(int(key))
        else:
            log.warning("ignored a %s notice: %r", CHANNEL, payload)
    return dict(changes)
