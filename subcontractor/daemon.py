"""The daemon loop: poll Contractor for tasks, run them in per-module thread pools, post their outcomes.

Shaped like rq's worker: bootstrap, signal handlers that only set a flag, a main loop, teardown in
``finally``. ``run_once()`` does one collect -> renew -> report -> poll -> dispatch cycle so tests drive it
directly. A task that runs longer than its lease has the lease renewed at each half of it, so Contractor does not
hand it out again (or fail it) while it still runs here.
"""

import hashlib
import json
import logging
import os
import random
import signal
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from subcontractor.client import ContractorClient, NoBatchEndpoint, Unreachable
from subcontractor.config import Config
from subcontractor.handlers import HandlerError, registry
from subcontractor.handlers.pxe import pxe_sync

__all__ = ["COLD", "RUNNING", "WARM", "ColdStop", "Daemon", "Report"]

log = logging.getLogger(__name__)

RUNNING, WARM, COLD = "running", "warm", "cold"
WAIT_SLICE = 0.1
#: After a task ends, how long the daemon waits for others to end too before it posts (and polls again).
REPORT_GATHER_SECONDS = 0.01
#: Reports posted in one request to the batch endpoint.
BATCH_SIZE = 100
#: After Contractor turned out to have no batch endpoint, post one by one for this long before trying it again.
BATCH_RETRY_SECONDS = 300.0


class ColdStop(BaseException):
    """Raised by the second SIGTERM: leave at once (finished but unposted results stay in the spool)."""


@dataclass
class Report:
    """A finished task's outcome waiting to be posted: a result, or an error message."""

    task_id: int
    cookie: str
    result: object = None
    error: str | None = None
    retryable: bool = False
    spool_file: str | None = None


class Daemon:
    """One subcontractor: its task pools, its pending reports, its backoff state and its stop flag."""

    def __init__(self, config: Config, *, client: ContractorClient | None = None, handlers=None):
        self.config = config
        self.client = client or ContractorClient(
            url=config.url, token=config.token, proxy=config.proxy, timeout=config.timeout
        )
        self.handlers = registry() if handlers is None else handlers
        self.limits = dict(config.modules)
        self.pools = {
            module: ThreadPoolExecutor(max_workers=limit, thread_name_prefix=f"task-{module}")
            for module, limit in self.limits.items()
        }
        self.running: dict[Future, tuple[str, dict]] = {}
        self.pending: list[Report] = []
        self.stop = RUNNING
        self.failures = 0
        self.retry_at = 0.0
        self.poll_interval = config.poll_interval
        self.next_pxe = 0.0
        self.no_batch_until = 0.0
        self.renew_at: dict[int, float] = {}  # running task id -> when (monotonic) to renew its lease
        self.no_renew_until = 0.0
        self.spool = config.spool_dir
        if self.spool:
            self.spool.mkdir(parents=True, exist_ok=True)
            self.pending.extend(self._spool_load(self.spool))

    # --- the loop -------------------------------------------------------------------------------------

    def run(self) -> int:
        """Run until stopped; returns the exit status (0 after a warm stop). ColdStop propagates."""
        self._install_signals()
        log.info("subcontractor for %s serving %s at %s", ", ".join(self.config.sites), self.limits, self.config.url)
        try:
            while self.stop == RUNNING:
                self.run_once()
                self._wait(self._next_delay(), until_stop=True)
            log.info("warm stop: finishing %d running task(s)", len(self.running))
            self.drain()
            return 0
        finally:
            self.teardown()

    def run_once(self) -> dict:
        """One cycle: collect finished tasks, post pending reports, sync PXE when due, poll and dispatch."""
        self.collect()
        self.renew()
        posted = self.flush()
        self.sync_pxe()
        dispatched = self.poll() if self.stop == RUNNING else 0
        return {"dispatched": dispatched, "posted": posted, "running": len(self.running), "pending": len(self.pending)}

    def drain(self) -> None:
        """Warm stop: wait for running tasks, then try to post every report for up to drain_timeout seconds."""
        deadline = None
        while self.running or self.pending:
            self.collect()
            self.renew()
            self.flush()
            if not self.running:
                deadline = deadline or time.monotonic() + self.config.drain_timeout
                if not self.pending:
                    break
                if time.monotonic() >= deadline:
                    log.warning("warm stop: %d report(s) not posted, left in the spool", len(self.pending))
                    break
            self._wait(max(WAIT_SLICE, min(self.retry_at - time.monotonic(), 1.0)), until_stop=False)

    def teardown(self) -> None:
        """Release pools and the HTTP session; after a cold stop do not wait for running tasks."""
        cold = self.stop == COLD
        for pool in self.pools.values():
            pool.shutdown(wait=not cold, cancel_futures=True)
        self.client.close()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every running task has finished (for tests and tools); True when they all did."""
        done, not_done = futures_wait(list(self.running), timeout=timeout)
        return not not_done

    # --- signals --------------------------------------------------------------------------------------

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self.stop == RUNNING:
            self.stop = WARM
            return
        self.stop = COLD
        raise ColdStop(f"second {signal.Signals(signum).name}")

    # --- steps ----------------------------------------------------------------------------------------

    def free_slots(self) -> dict[str, int]:
        """Free slots per module: its concurrency limit minus the tasks it holds (finished or not)."""
        busy = {module: 0 for module in self.limits}
        for module, _task in self.running.values():
            busy[module] += 1
        return {module: self.limits[module] - busy[module] for module in self.limits}

    def collect(self) -> int:
        """Move finished tasks' reports from the pools to the pending queue."""
        finished = [future for future in self.running if future.done()]
        for future in finished:
            module, task = self.running.pop(future)
            self.renew_at.pop(task["id"], None)
            self.pending.append(future.result())
            log.debug("task %s (%s.%s) finished", task["id"], module, task["function"])
        return len(finished)

    def flush(self) -> int:
        """Post pending reports in order until one fails to reach Contractor; returns how many were settled.

        They go in batches of up to BATCH_SIZE to the batch endpoint; a Contractor without it gets them one by one.
        """
        settled = 0
        while self.pending and self._reachable():
            batch = self.pending[:BATCH_SIZE] if time.monotonic() >= self.no_batch_until else self.pending[:1]
            try:
                statuses = self._post_batch(batch) if len(batch) > 1 else [self._post(batch[0])]
            except NoBatchEndpoint as error:
                log.info("%s: posting reports one by one", error)
                self.no_batch_until = time.monotonic() + BATCH_RETRY_SECONDS
                continue
            except Unreachable as error:
                self._backoff(error)
                break
            self._recovered()
            del self.pending[: len(batch)]  # the batch is the head of the queue
            for report, status in zip(batch, statuses, strict=True):
                self._settle(report, status)
            settled += len(batch)
        return settled

    def renew(self) -> int:
        """Renew the leases of running tasks that are half way through theirs; returns how many were renewed.

        A task Contractor no longer counts as ours (its lease ran out and another took it, or it was cancelled)
        is logged and not renewed again; its report is still posted when it ends (and may be stale)."""
        now = time.monotonic()
        held = {task["id"]: task for _module, task in self.running.values()}
        due = [held[pk] for pk, when in self.renew_at.items() if when <= now and pk in held]
        if not due or now < self.no_renew_until or not self._reachable():
            return 0
        try:
            seconds, renewed = self.client.renew([{"task": task["id"], "cookie": task["cookie"]} for task in due])
        except NoBatchEndpoint as error:
            log.info("%s: leases are not renewed", error)
            self.no_renew_until = now + BATCH_RETRY_SECONDS
            return 0
        except Unreachable as error:
            self._backoff(error)
            return 0
        self._recovered()
        for task in due:
            if task["id"] in renewed:
                self.renew_at[task["id"]] = time.monotonic() + max(seconds / 2, WAIT_SLICE)
            else:
                log.warning("task %s: Contractor no longer leases it to us; its lease is not renewed", task["id"])
                self.renew_at.pop(task["id"], None)
        log.debug("renewed the leases of %d task(s) for %.0f s", len(renewed), seconds)
        return len(renewed)

    def _settle(self, report: Report, status: str) -> None:
        self._spool_remove(report)
        if status == "stale":
            log.warning("task %s: Contractor refused the report as stale; dropped", report.task_id)
        else:
            log.info("task %s: report %s", report.task_id, status)

    def poll(self) -> int:
        """Ask for as many tasks as there are free slots and start them; returns how many were started."""
        wanted = {module: free for module, free in self.free_slots().items() if free > 0}
        if not wanted or not self._reachable():
            return 0
        asked_at = time.monotonic()  # the leases start after this, so renewals timed from it are never late
        try:
            answer = self.client.poll(sites=self.config.sites, modules=wanted)
        except Unreachable as error:
            self._backoff(error)
            return 0
        self._recovered()
        hint = answer.get("poll_interval")
        if isinstance(hint, int | float) and not isinstance(hint, bool) and hint > 0:
            self.poll_interval = min(max(float(hint), 0.5), 300.0)
        if answer["tasks"]:
            # A task may power on a machine whose job started since the last sync: dnsmasq must hand it the boot
            # URL with that job's boot token before it asks, so the plan is synced before any task starts.
            self.sync_pxe(now=True)
        lease = answer.get("lease_seconds")
        if not isinstance(lease, int | float) or isinstance(lease, bool) or lease <= 0:
            lease = None  # an older Contractor: each task's lease_expires, read by this machine's clock, says
        return sum(self._dispatch(task, wanted, _renew_at(task, lease, asked_at)) for task in answer["tasks"])

    def sync_pxe(self, now: bool = False) -> dict | None:
        """Every pxe.interval seconds (or `now`), fetch the site's PXE plan and write it for dnsmasq."""
        pxe = self.config.pxe
        due = now or time.monotonic() >= self.next_pxe
        if not pxe.enabled or not due or not self._reachable():
            return None
        # an enabled PXE section always has its three paths (load_config requires them)
        assert pxe.hosts_dir is not None and pxe.opts_dir is not None and pxe.conf is not None
        try:
            plan = self.client.pxe(sites=self.config.sites)
        except Unreachable as error:
            self._backoff(error)
            return None
        self._recovered()
        self.next_pxe = time.monotonic() + pxe.interval
        try:
            report = pxe_sync(
                plan,
                hosts_dir=pxe.hosts_dir,
                opts_dir=pxe.opts_dir,
                conf=pxe.conf,
                pid_file=pxe.pid_file,
                restart_command=pxe.restart_command,
            )
        except (HandlerError, OSError) as error:
            log.error("pxe sync failed, dnsmasq config left as it was: %s", error)
            return None
        if report["added"] or report["changed"] or report["removed"] or report["conf_changed"]:
            log.info("pxe sync: %s", report)
        return report

    # --- helpers --------------------------------------------------------------------------------------

    def _dispatch(self, task: dict, wanted: dict[str, int], renew_at: float) -> int:
        module = task["module"]
        if wanted.get(module, 0) <= 0 or module not in self.handlers:
            log.warning("task %s for %s was not asked for; ignored (its lease will run out)", task["id"], module)
            return 0
        if any(held["id"] == task["id"] for _module, held in self.running.values()):
            log.warning("task %s is already running here; ignored", task["id"])
            return 0
        wanted[module] -= 1
        log.info("task %s: %s.%s (attempt %s)", task["id"], module, task["function"], task.get("attempt", 1))
        self.renew_at[task["id"]] = renew_at
        self.running[self.pools[module].submit(self._execute, module, task)] = (module, task)
        return 1

    def _execute(self, module: str, task: dict) -> Report:
        """Run one task in a pool thread and spool its report before anything is posted."""
        report = Report(task_id=task["id"], cookie=task["cookie"])
        function = self.handlers[module].get(task["function"])
        try:
            if function is None:
                raise HandlerError(f"module '{module}' has no function '{task['function']}'")
            report.result = function(task.get("parameters") or {})
            json.dumps(report.result)
        except HandlerError as error:
            report.error, report.retryable = str(error), error.retryable
        except Exception as error:  # noqa: BLE001 - any handler bug becomes a reported task error
            log.exception("task %s: %s.%s crashed", task["id"], module, task["function"])
            report.result, report.error = None, f"{type(error).__name__}: {error}"
        try:
            self._spool_write(report)
        except OSError as error:
            log.error("task %s: could not spool its report (%s); it is kept in memory only", task["id"], error)
        return report

    def _post(self, report: Report) -> str:
        if report.error is not None:
            return self.client.task_error(
                task_id=report.task_id, cookie=report.cookie, error=report.error, retryable=report.retryable
            )
        return self.client.task_result(task_id=report.task_id, cookie=report.cookie, result=report.result)

    def _post_batch(self, reports: list[Report]) -> list[str]:
        entries = []
        for report in reports:
            entry = {"task": report.task_id, "cookie": report.cookie}
            if report.error is not None:
                entry.update(error=report.error, retryable=report.retryable)
            else:
                entry["result"] = report.result
            entries.append(entry)
        return self.client.task_results(entries)

    def _reachable(self) -> bool:
        return time.monotonic() >= self.retry_at

    def _backoff(self, error: Exception) -> None:
        """Wait longer after each failure to reach Contractor: exponential, capped, with jitter."""
        self.failures += 1
        ceiling = min(self.config.backoff_max, self.config.backoff_initial * 2 ** (self.failures - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        self.retry_at = time.monotonic() + delay
        log.warning("Contractor unreachable (%s); retrying in %.1f s", error, delay)

    def _recovered(self) -> None:
        if self.failures:
            log.info("Contractor reachable again")
        self.failures, self.retry_at = 0, 0.0

    def _next_delay(self) -> float:
        now = time.monotonic()
        return max(min(max(self.retry_at - now, self.poll_interval), self._renew_due() - now), WAIT_SLICE)

    def _renew_due(self) -> float:
        """When (monotonic) the next lease renewal may be posted; infinity when none is waiting."""
        if not self.renew_at:
            return float("inf")
        return max(min(self.renew_at.values()), self.retry_at, self.no_renew_until)

    def _wait(self, seconds: float, *, until_stop: bool) -> None:
        """Wait in short slices, returning as soon as a task finishes (its slot is free and its report due), when
        a renewal is due, or, if until_stop, on a stop flag (a signal handler sets it between slices)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._renew_due() <= time.monotonic():
                return
            if until_stop and self.stop != RUNNING:
                return
            if not self.running:
                time.sleep(min(WAIT_SLICE, left))
            elif futures_wait(list(self.running), timeout=min(WAIT_SLICE, left), return_when=FIRST_COMPLETED)[0]:
                # tasks leased together tend to end together: a moment more lets one post carry their reports
                futures_wait(list(self.running), timeout=REPORT_GATHER_SECONDS)
                return

    # --- spool ----------------------------------------------------------------------------------------

    def _spool_write(self, report: Report) -> None:
        if not self.spool:
            return
        name = f"{report.task_id}-{hashlib.sha256(report.cookie.encode()).hexdigest()[:12]}.json"
        handle, temporary = tempfile.mkstemp(dir=self.spool, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(asdict(report) | {"spool_file": None}, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.spool / name)
        report.spool_file = name

    def _spool_remove(self, report: Report) -> None:
        if self.spool and report.spool_file:
            (self.spool / report.spool_file).unlink(missing_ok=True)

    def _spool_load(self, spool: Path) -> list[Report]:
        reports = []
        for path in sorted(spool.glob("*.json"), key=lambda item: item.stat().st_mtime):
            try:
                reports.append(Report(**(json.loads(path.read_text()) | {"spool_file": path.name})))
            except (ValueError, TypeError) as error:
                log.error("spool file %s is unreadable (%s); moved aside", path, error)
                path.rename(path.with_suffix(".bad"))
        if reports:
            log.info("re-posting %d report(s) from the spool %s", len(reports), self.spool)
        return reports


def _renew_at(task: dict, lease_seconds: float | None, asked_at: float) -> float:
    """When (monotonic) to renew a newly leased task's lease: half of `lease_seconds` (the poll's answer) after the
    poll was sent, so the machines' clocks need not agree; without it, by the task's `lease_expires`."""
    if lease_seconds is not None:
        return asked_at + lease_seconds / 2
    return time.monotonic() + _half_lease(task.get("lease_expires"))


def _half_lease(lease_expires) -> float:
    """Seconds until half of a new lease has passed, by this machine's clock (0 when it cannot tell, so the
    first renewal comes at once; later ones use the lease length Contractor answers)."""
    try:
        expires = datetime.fromisoformat(str(lease_expires))
    except ValueError:
        return 0.0
    if expires.tzinfo is None:
        return 0.0
    return max((expires.timestamp() - time.time()) / 2, 0.0)
