"""The foreman worker loop: claim runnable jobs, step each in its own transaction, sleep, repeat."""

import logging
import select
import signal
import time

from django.db import Error, close_old_connections, connection

from contractor.db import connections_mend, statistics_refresh
from contractor.foreman import selectors
from contractor.foreman.models import Job
from contractor.foreman.runner import BatchUndone, StepFailed, job_step_batch, job_step_next, step_batch_size
from contractor.foreman.services import job_step_failed
from contractor.foreman.watch import tasks_unclaimed_check
from contractor.subcontracting.models import Task
from contractor.subcontracting.services import tasks_expire
from contractor.subcontracting.watch import subcontractors_lost_check

log = logging.getLogger(__name__)

#: A worker keeps its database connection between passes (connecting costs more than a step), checking it after
#: each pass; this often it lets Django close it anyway (CONN_MAX_AGE) so a long-lived worker reconnects now and then.
RECONNECT_SECONDS = 60.0
#: How often a worker watches for tasks no subcontractor can take and for lost subcontractors (the first pass does).
WATCH_SECONDS = 5.0
#: How often a worker makes sure the planner's statistics of the job and task tables follow a burst of changes.
STATISTICS_SECONDS = 2.0
#: Steps of one job that may raise in a row (a module or plugin bug) before the job goes to error saying so. A
#: database error does not count: the database is at fault, not the job, and the step is tried again.
STEP_FAILURES_BEFORE_ERROR = 3
#: The channel the trigger of migration subcontracting 0002 notifies when a task gets its answer (PostgreSQL).
CHANNEL = "contractor_foreman"


class Worker:
    """Steps up to `batch` runnable jobs per pass; between passes with nothing to do, sleeps `interval` seconds.

    On PostgreSQL a pass steps its jobs `step_batch` at a time (FOREMAN_STEP_BATCH by default), each such batch in
    one transaction; elsewhere, or with `step_batch` 1, each job in its own.

    On PostgreSQL the sleep ends early when a task gets its answer (LISTEN on CHANNEL), so an answer is applied at
    once while an idle worker costs one pass an interval; elsewhere it is a plain poll.
    SIGTERM or SIGINT only set a flag: the worker finishes the step in progress and exits.
    """

    def __init__(self, *, batch: int = 20, interval: float = 1.0, step_batch: int | None = None):
        self.batch, self.interval = batch, interval
        self.step_batch = max(step_batch, 1) if step_batch is not None else step_batch_size()
        self.stopping = False
        self.reconnect_at = time.monotonic() + RECONNECT_SECONDS
        self.watch_at = 0.0
        self.statistics_at = 0.0
        self.listening = None  # the database connection that LISTENs on CHANNEL
        self.step_failures: dict[int, int] = {}  # job id -> steps that raised in a row (this worker's count)

    def run_once(self) -> int:
        """One pass (fail tasks whose last lease ran out, step jobs, watch); returns how many jobs were stepped.

        The pass reads up to `batch` runnable jobs, least recently stepped first, then claims them a batch (or one)
        at a time (each claim skips the jobs other workers hold or have stepped meanwhile) and steps each once.
        """
        tasks_expire()
        self._statistics()
        candidates = selectors.job_runnable_ids(self.batch)
        stepped = 0
        while candidates and not self.stopping:
            count = self._step_some(candidates)
            if count is None:
                break
            stepped += count
        self._watch()
        return stepped

    def _step_some(self, candidates: list[int]) -> int | None:
        """Step the next batch of candidates (PostgreSQL) or the next one, removing them from `candidates`; returns
        how many were stepped, None when none of them is left to step. A batch undone (a step raised, or met an
        answer applied meanwhile) is stepped again one job at a time, so only a bad job fails."""
        if self.step_batch == 1 or connection.vendor != "postgresql":
            return self._step_one(candidates, candidates)
        try:
            job_ids = job_step_batch(job_ids=candidates, size=self.step_batch)
        except BatchUndone as undone:
            log.info("A batch of %d job steps was undone (%r); stepping them one at a time", len(undone.job_ids),
                     undone.__cause__)  # fmt: skip
            return sum(self._step_one(candidates, [job_id]) or 0 for job_id in undone.job_ids)
        if not job_ids:
            return None
        for job_id in job_ids:
            self._stepped(candidates, job_id)
        return len(job_ids)

    def _step_one(self, candidates: list[int], job_ids: list[int]) -> int | None:
        """Step the least recently stepped of `job_ids` (a part of `candidates`); 1 if stepped, 0 if its step raised,
        None if none was left (a single job asked for then leaves `candidates` too)."""
        try:
            job_id = job_step_next(job_ids=job_ids)
        except StepFailed as failed:  # one bad job must not stop the worker; its step rolled back
            log.exception("Stepping job %s failed", failed.job_id)
            candidates.remove(failed.job_id)
            self._step_failed(failed)
            return 0
        if job_id is None:
            if job_ids is not candidates:
                for left in job_ids:
                    candidates.remove(left)
            return None
        self._stepped(candidates, job_id)
        return 1

    def _stepped(self, candidates: list[int], job_id: int) -> None:
        candidates.remove(job_id)
        self.step_failures.pop(job_id, None)

    def _step_failed(self, failed: StepFailed) -> None:
        """Count a step that raised; at STEP_FAILURES_BEFORE_ERROR in a row the job goes to error (job_step_failed)
        instead of being stepped, and failing, every pass. A database error is not counted."""
        cause = failed.__cause__
        if cause is None or isinstance(cause, Error):
            return
        times = self.step_failures.get(failed.job_id, 0) + 1
        if times < STEP_FAILURES_BEFORE_ERROR:
            self.step_failures[failed.job_id] = times
            return
        self.step_failures.pop(failed.job_id, None)
        if job_step_failed(job_id=failed.job_id, error=cause, times=times) is not None:
            log.error("Job %s is in error: its step raised %d times in a row", failed.job_id, times)

    def _watch(self) -> None:
        """Say why tasks wait (and fail those never leased in time), announce lost subcontractors: every few s."""
        if time.monotonic() < self.watch_at:
            return
        self.watch_at = time.monotonic() + WATCH_SECONDS
        tasks_unclaimed_check()
        subcontractors_lost_check()

    def _statistics(self) -> None:
        """Every few seconds: ANALYZE the job and task tables if they changed much since (statistics_refresh)."""
        if time.monotonic() < self.statistics_at:
            return
        self.statistics_at = time.monotonic() + STATISTICS_SECONDS
        analysed = statistics_refresh(Job, Task)
        if analysed:
            log.debug("Analysed %s: many rows changed since their planner statistics were taken", ", ".join(analysed))

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
        self._listener()  # before the pass, so that no answer recorded during it goes unnoticed
        try:
            stepped = self.run_once()
        except Error:  # DatabaseError, or InterfaceError from a connection found closed
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

    def _sleep(self) -> bool:
        """Wait up to `interval` seconds, less when notified (PostgreSQL) or stopped; True when notified."""
        deadline = time.monotonic() + self.interval
        listener = self._listener()
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            if listener is None:
                time.sleep(min(0.1, left))
            elif self._notified(listener, min(0.1, left)):
                return True
        return False

    def _listener(self):
        """The database connection, LISTENing on CHANNEL (once per connection); None on SQLite or when the
        database cannot be reached (the next pass finds out why)."""
        if connection.vendor != "postgresql":
            return None
        try:
            connection.ensure_connection()
            if self.listening is not connection.connection:
                with connection.cursor() as cursor:
                    cursor.execute(f"LISTEN {CHANNEL}")
                self.listening = connection.connection
        except Error:
            log.warning("Could not LISTEN for answered tasks; polling until the next pass", exc_info=True)
            connections_mend()
            return None
        return self.listening

    def _notified(self, listener, seconds: float) -> bool:
        """Whether a notice arrived within `seconds` (all that arrived are taken); a broken connection counts as
        one, so the next pass runs and mends it."""
        try:
            with connection.wrap_database_errors:
                if not listener.notifies and not select.select([listener], [], [], seconds)[0]:
                    return False
                listener.poll()
        except (Error, OSError, ValueError):
            connections_mend()  # so that the next pass reconnects
            return True
        notified = bool(listener.notifies)
        listener.notifies.clear()
        return notified

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, signum, frame) -> None:
        log.info("Signal %s: finishing the current step, then stopping", signum)
        self.stopping = True
