"""The foreman worker loop: claim runnable jobs, step each in its own transaction, sleep, repeat."""

import logging
import signal
import time

from django.db import DatabaseError, close_old_connections

from contractor.db import connections_mend
from contractor.foreman import selectors
from contractor.foreman.runner import StepFailed, job_step_next
from contractor.foreman.watch import tasks_unclaimed_check
from contractor.subcontracting.services import tasks_expire
from contractor.subcontracting.watch import subcontractors_lost_check

log = logging.getLogger(__name__)

#: A worker keeps its database connection between passes (connecting costs more than a step), checking it after
#: each pass; this often it lets Django close it anyway (CONN_MAX_AGE) so a long-lived worker reconnects now and then.
RECONNECT_SECONDS = 60.0
#: How often a worker watches for tasks no subcontractor can take and for lost subcontractors (the first pass does).
WATCH_SECONDS = 5.0


class Worker:
    """Steps up to `batch` runnable jobs per pass; between passes with nothing to do, sleeps `interval` seconds.

    SIGTERM or SIGINT only set a flag: the worker finishes the step in progress and exits.
    """

    def __init__(self, *, batch: int = 20, interval: float = 1.0):
        self.batch, self.interval = batch, interval
        self.stopping = False
        self.reconnect_at = time.monotonic() + RECONNECT_SECONDS
        self.watch_at = 0.0

    def run_once(self) -> int:
        """One pass (fail tasks whose last lease ran out, step jobs, watch); returns how many jobs were stepped.

        The pass reads up to `batch` runnable jobs, least recently stepped first, then claims them one at a time
        (each claim skips the jobs other workers hold or have stepped meanwhile) and steps each once.
        """
        tasks_expire()
        candidates = selectors.job_runnable_ids(self.batch)
        stepped = 0
        while candidates and not self.stopping:
            try:
                job_id = job_step_next(job_ids=candidates)
            except StepFailed as failed:  # one bad job must not stop the worker; its step rolled back
                log.exception("Stepping job %s failed", failed.job_id)
                candidates.remove(failed.job_id)
                continue
            if job_id is None:
                break
            candidates.remove(job_id)
            stepped += 1
        self._watch()
        return stepped

    def _watch(self) -> None:
        """Say why tasks wait (and fail those never leased in time), announce lost subcontractors: every few s."""
        if time.monotonic() < self.watch_at:
            return
        self.watch_at = time.monotonic() + WATCH_SECONDS
        tasks_unclaimed_check()
        subcontractors_lost_check()

    def run(self) -> None:
        """Loop until stopped by a signal."""
        self._install_signals()
        log.info("Foreman worker started (batch %s, interval %ss)", self.batch, self.interval)
        try:
            while not self.stopping:
                if not self.cycle():
                    self._sleep()
        finally:
            log.info("Foreman worker stopped")

    def cycle(self) -> int:
        """One pass of the loop: a database error (the server restarted, say) ends the pass, not the worker; a
        broken connection is dropped afterwards so the next pass reconnects. Returns the jobs stepped."""
        try:
            stepped = self.run_once()
        except DatabaseError:
            log.exception("A database error ended this pass; the next one reconnects if need be")
            stepped = 0
        self._tidy_connections()
        return stepped

    def _tidy_connections(self) -> None:
        """Drop a connection that broke; every RECONNECT_SECONDS, close connections as Django's request end does."""
        if time.monotonic() >= self.reconnect_at:
            close_old_connections()
            self.reconnect_at = time.monotonic() + RECONNECT_SECONDS
            return
        connections_mend()

    def _sleep(self) -> None:
        deadline = time.monotonic() + self.interval
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, self.interval))

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, signum, frame) -> None:
        log.info("Signal %s: finishing the current step, then stopping", signum)
        self.stopping = True
