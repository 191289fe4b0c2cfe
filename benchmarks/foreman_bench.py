"""Benchmark the Foreman end to end: real processes talking the real protocol over HTTP, on PostgreSQL.

Run with `python benchmarks/foreman_bench.py [--jobs N] [--workers W] [--subcontractors S] [--web-workers G]
[--database-url URL]`. It (re)creates the database named in the URL (default
postgres://postgres@127.0.0.1:5432/contractor_bench), migrates it, and plans N manual foundations whose create
script makes three remote calls, `iputils.port_check( address="127.0.0.1", port=<Contractor's port> )`. Then it
starts Contractor under gunicorn on a free 127.0.0.1 port, S stock subcontractor daemons (`python -m subcontractor
--config FILE`, registered for the site and `iputils`) that poll it over HTTP and really check the port, and W
`manage.py foreman` workers; the jobs are committed once the workers idle, and it waits until every job is done,
timing from that commit (the CPU figures are what each process spent in that time). It prints the jobs completed per
second, the task round trip (task created -> result applied by its job: median, p99) and the database queries per
job step, counted in-process on a small sample before and after the big run (they should be equal), and the
foreman's CPU per step. Before the foreman starts it runs pgbench's write test (TPC-B-like, 2 clients) for 5 s on a
database of its own (`--pgbench-database`, default contractor_pgbench, initialised at scale 1) and prints the ratio
of the foreman's job steps per second (each what one transaction wrote before steps were batched) to pgbench's
transactions per second, which means the same on any machine.
Target: 1,000 jobs x 3 remote calls in under 8 s on a 2-core machine with 2 workers, queries per step constant as N
grows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

SCRIPT = """begin( description="bench create" )
  a = iputils.port_check( address="127.0.0.1", port={port} )
  b = iputils.port_check( address="127.0.0.1", port={port} )
  c = iputils.port_check( address="127.0.0.1", port={port} )
end
"""
SITE = "bench"
GIVE_UP_SECONDS = 600


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(parsed._replace(path="/postgres").geturl())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def setup_django(url: str) -> None:
    os.environ["CONTRACTOR_DATABASE_URL"] = url
    os.environ["CONTRACTOR_DEBUG"] = "false"  # no query log in the workers and the web server
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contractor.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def plan(count: int, prefix: str, port: int) -> list[int]:
    """Foundations with create jobs; returns the job ids."""
    from contractor.blueprint.models import FoundationBluePrint, Script
    from contractor.foreman.services import job_create
    from contractor.site.models import Site
    from plugins.manual.models import ManualFoundation

    site, _ = Site.objects.get_or_create(name=SITE)
    blueprint, created = FoundationBluePrint.objects.get_or_create(
        name="bench", defaults={"foundation_types": ["manual"]}
    )
    if created:
        Script.objects.create(blueprint=blueprint, name="create", script=SCRIPT.format(port=port))
    ids = []
    for index in range(count):
        foundation = ManualFoundation.objects.create(locator=f"{prefix}-{index:05d}", site=site, blueprint=blueprint)
        ids.append(job_create(target=foundation, script_name="create").pk)
    return ids


def pgbench_tps(url: str, name: str, seconds: int = 5) -> float:
    """pgbench's write test (TPC-B-like, 2 clients, `seconds` long) on a fresh database `name` of `url`'s server."""

    parsed = urlparse(url)
    recreate_database(parsed._replace(path=f"/{name}").geturl())
    server = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", *server, name], check=True, env=env, capture_output=True)
    done = subprocess.run(["pgbench", "-c", "2", "-j", "2", "-T", str(seconds), *server, name], check=True, env=env,
                          capture_output=True, text=True)  # fmt: skip
    found = re.search(r"tps = ([0-9.]+)", done.stdout)
    if found is None:
        raise SystemExit(f"pgbench printed no tps:\n{done.stdout}{done.stderr}")
    return float(found.group(1))


def queries_per_step(count: int, prefix: str, port: int) -> float:
    """Queries per step of `count` fresh jobs stepped in-process to the end.

    Their tasks are answered through the same service the result endpoint uses (task_complete), by an
    in-process subcontractor; only the steps' queries are counted.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contractor.foreman.choices import JobState
    from contractor.foreman.models import Job
    from contractor.foreman.runner import job_step
    from contractor.subcontracting.choices import TaskState
    from contractor.subcontracting.models import Task
    from contractor.subcontracting.services import subcontractor_register, task_complete

    ids = plan(count, prefix, port)
    subcontractor, _ = subcontractor_register(name="bench-inprocess", sites=[SITE], modules=["iputils"])
    steps = queries = 0
    for job_id in ids:
        while Job.objects.filter(pk=job_id).exclude(state=JobState.DONE).exists():
            for task in Task.objects.filter(job_id=job_id, state=TaskState.PENDING):
                task_complete(task_id=task.pk, subcontractor=subcontractor, cookie=task.cookie,
                              result={"state": "open"})  # fmt: skip
            with CaptureQueriesContext(connection) as captured:
                stepped = job_step(job_id=job_id)
            if not stepped:
                raise SystemExit(f"job {job_id} could not be stepped: {Job.objects.get(pk=job_id).message}")
            steps += 1
            queries += len(captured)
    return queries / max(steps, 1)


class Processes:
    """Subprocesses in their own process groups, each logging to a file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, directory: Path, database_url: str):
        self.directory = directory
        self.running: dict[str, subprocess.Popen] = {}
        # DEBUG off, as in production: Contractor then refuses the development secret key, so give it one
        secret_key = os.environ.get("CONTRACTOR_SECRET_KEY") or secrets.token_urlsafe(50)
        self.env = {**os.environ, "CONTRACTOR_DATABASE_URL": database_url, "CONTRACTOR_DEBUG": "false",
                    "CONTRACTOR_SECRET_KEY": secret_key, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}  # fmt: skip
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            self.env.pop(name, None)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.directory / f"{name}.log", "w") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)  # fmt: skip
        self.running[name] = process
        return process

    def wait_for_log(self, names: list[str], text: str, timeout: float = 60) -> None:
        """Wait until each named process's log holds `text` (it has started)."""
        deadline = time.monotonic() + timeout
        while any(text not in (self.directory / f"{name}.log").read_text() for name in names):
            self.check_alive()
            if time.monotonic() > deadline:
                raise SystemExit(f"{', '.join(names)} did not log {text!r} within {timeout:.0f} s")
            time.sleep(0.1)

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}; see {self.directory / name}.log")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) so far of each process group we started (gunicorn's workers included)."""
        ticks = os.sysconf("SC_CLK_TCK")
        groups = {process.pid: name for name, process in self.running.items()}
        used = dict.fromkeys(self.running, 0.0)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = stat.with_name("comm").read_text().strip()
            except OSError:
                continue
            name = groups.get(int(fields[2]))  # the process group
            if name is None and command == "postgres":
                name = "postgres"  # a local server's backends and helpers (those that ended meanwhile not counted)
                used.setdefault(name, 0.0)
            if name is not None:
                used[name] += (int(fields[11]) + int(fields[12])) / ticks
        return used

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def machine_busy_seconds() -> float:
    """The CPU seconds every core of this machine has spent busy (not idle, not waiting on I/O) since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def start_contractor(processes: Processes, port: int, web_workers: int) -> str:
    processes.start("gunicorn", [str(BIN / "gunicorn"), "contractor.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                 "--workers", str(web_workers), "--no-control-socket"])  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        processes.check_alive()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    raise SystemExit("gunicorn did not listen within 60 s")


def start_subcontractor(
    processes: Processes, index: int, url: str, slots: int, poll_interval: float, profile: str | None = None
) -> None:
    from contractor.subcontracting.services import subcontractor_register

    name = f"bench-sc{index}"
    _, token = subcontractor_register(name=name, sites=[SITE], modules=["iputils"])
    config = processes.directory / f"{name}.toml"
    config.write_text(
        f'[contractor]\nurl = "{url}"\ntoken = "{token}"\nsite = "{SITE}"\npoll_interval = {poll_interval}\n'
        f'timeout = 30\n[modules]\niputils = {slots}\n[log]\nlevel = "WARNING"\n'
        f'[daemon]\nspool_dir = "{processes.directory / name}-spool"\n'
    )
    profiled = ["-m", "cProfile", "-o", f"{profile}/subcontractor{index}.prof"] if profile else []  # its main thread
    processes.start(name, [sys.executable, *profiled, "-m", "subcontractor", "--config", str(config)])


def run(args) -> dict:
    from django.db import transaction

    from contractor.foreman.choices import JobState
    from contractor.foreman.models import Job
    from contractor.subcontracting.choices import TaskState
    from contractor.subcontracting.models import Task
    from contractor.subcontracting.services import lease_seconds

    port = free_tcp_port()
    small = queries_per_step(20, "qs-small", port)
    pgbench = pgbench_tps(args.database_url, args.pgbench_database)
    directory = Path(tempfile.mkdtemp(prefix="foreman-bench-"))
    processes = Processes(directory, os.environ["CONTRACTOR_DATABASE_URL"])
    try:
        url = start_contractor(processes, port, args.web_workers)
        for index in range(args.subcontractors):
            start_subcontractor(processes, index, url, args.slots, args.poll_interval, args.profile)
        # The jobs are created in one transaction while the long-running processes start, and committed once the
        # foreman workers idle: the run is timed from the commit (their NOTIFY wakes the workers) to the last job
        # done, as an operator submitting a thousand builds to a running Contractor would see it, and the CPU
        # figures are what each process spent in that time (no start-up).
        with transaction.atomic():
            ids = plan(args.jobs, "bench", port)
            for index in range(args.workers):
                profile = ["-m", "cProfile", "-o", f"{args.profile}/foreman{index}.prof"] if args.profile else []
                command = [sys.executable, *profile, "manage.py", "foreman", "--interval", "1"]  # answers wake them
                if args.pass_size:
                    command += ["--batch", str(args.pass_size)]
                if args.step_batch:
                    command += ["--step-batch", str(args.step_batch)]
                processes.start(f"foreman{index}", command)
            processes.wait_for_log([f"foreman{index}" for index in range(args.workers)], "Foreman worker started")
            time.sleep(0.5)  # past the workers' first (empty) pass
            before = processes.cpu_seconds()
            busy_before = machine_busy_seconds()
        started = time.monotonic()
        # the bench's own look, four times a second, is one small query (the jobs' ids are consecutive)
        ours = Job.objects.filter(pk__gte=min(ids), pk__lte=max(ids))
        remaining = ours.exclude(state=JobState.DONE)
        while remaining.exists():
            processes.check_alive()
            stuck = ours.filter(state__in=(JobState.ERROR, JobState.ABORTED, JobState.PAUSED))
            if stuck.exists():
                job = stuck.first()
                raise SystemExit(f"job {job.pk} is {job.state}: {job.message}; logs in {directory}")
            if time.monotonic() - started > GIVE_UP_SECONDS:
                raise SystemExit(f"gave up after {GIVE_UP_SECONDS} s; logs in {directory}")
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        cpu = {name: seconds - before.get(name, 0.0) for name, seconds in processes.cpu_seconds().items()}
        busy = machine_busy_seconds() - busy_before
        load = os.getloadavg()
    finally:
        processes.stop_all()
    large = queries_per_step(20, "qs-large", port)
    tasks = Task.objects.filter(job_id__in=ids)
    results = sorted({json.dumps(task.result, sort_keys=True) for task in tasks})
    applied = list(tasks.filter(state=TaskState.APPLIED))
    lease = timedelta(seconds=lease_seconds())
    parts = {"pending": [(t.lease_expires - lease - t.created).total_seconds() for t in applied],
             "leased": [(t.finished_at - (t.lease_expires - lease)).total_seconds() for t in applied],
             "done": [(t.updated - t.finished_at).total_seconds() for t in applied]}  # fmt: skip
    trips = sorted((t.updated - t.created).total_seconds() for t in applied)
    steps = sum(Job.objects.filter(pk__in=ids).values_list("step_count", flat=True))
    return {"pgbench": pgbench, "steps": steps, "load": load,
            "elapsed": elapsed, "tasks": len(trips), "all_tasks": tasks.count(), "results": results,
            "median": statistics.median(trips), "p99": trips[max(0, int(len(trips) * 0.99) - 1)],
            "parts": {name: statistics.median(values) for name, values in parts.items()},
            "queries_small": small, "queries_large": large, "cpu": cpu, "busy": busy}  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="manage.py foreman processes (default 2)")
    parser.add_argument("--subcontractors", type=int, default=2, help="subcontractor daemons (default 2)")
    parser.add_argument("--slots", type=int, default=32, help="iputils concurrency of each daemon (default 32)")
    parser.add_argument("--poll-interval", type=float, default=0.5, help="daemons' poll interval (default 0.5 s)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--pass-size", type=int, help="jobs a foreman worker reads per pass (its --batch; default 20)")
    parser.add_argument("--step-batch", type=int, help="jobs a worker steps per transaction (FOREMAN_STEP_BATCH: 8)")
    parser.add_argument("--profile", metavar="DIR", help="cProfile the workers (and daemons' main threads) into DIR")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/contractor_bench")
    parser.add_argument("--pgbench-database", default="contractor_pgbench", help="(re)created for pgbench's run")
    args = parser.parse_args(argv)
    recreate_database(args.database_url)
    setup_django(args.database_url)
    figures = run(args)
    elapsed = figures["elapsed"]
    print(f"{args.jobs} jobs x 3 remote calls in {elapsed:.1f} s with {args.workers} foreman workers, "
          f"{args.subcontractors} subcontractors ({args.slots} iputils slots each, poll {args.poll_interval} s) "
          f"and {args.web_workers} gunicorn workers")  # fmt: skip
    print(f"jobs completed per second: {args.jobs / elapsed:.1f}")
    print(f"task round trip ({figures['tasks']} of {figures['all_tasks']} tasks applied, results "
          f"{', '.join(figures['results'])}): median {figures['median'] * 1000:.0f} ms, "
          f"p99 {figures['p99'] * 1000:.0f} ms")  # fmt: skip
    parts = figures["parts"]
    print(
        f"  medians of its parts: pending until leased {parts['pending'] * 1000:.0f} ms, leased until its result "
        f"was recorded {parts['leased'] * 1000:.0f} ms, recorded until applied {parts['done'] * 1000:.0f} ms"
    )
    cpu = {}
    for name, seconds in figures["cpu"].items():
        kind = name.rstrip("0123456789").replace("bench-sc", "subcontractor")
        cpu[kind] = cpu.get(kind, 0.0) + seconds
    print("CPU seconds used: " + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in cpu.items()))
    cores = os.cpu_count() or 1
    print(
        f"the machine was busy {figures['busy']:.1f} of {elapsed * cores:.1f} CPU seconds ({cores} cores); "
        f"this bench and anything else running took {figures['busy'] - sum(cpu.values()):.1f}"
    )
    steps = figures["steps"]
    print(f"foreman CPU per job step: {cpu.get('foreman', 0.0) / max(steps, 1) * 1000:.2f} ms ({steps} steps)")
    foreman_tps = steps / elapsed
    print(f"foreman job steps per second: {foreman_tps:.0f} (each a transaction's worth of writes; a batch of steps "
          f"commits once); pgbench write test: "
          f"{figures['pgbench']:.0f} tps; ratio {foreman_tps / figures['pgbench']:.3f}")  # fmt: skip
    print("load average at the end of the run: " + ", ".join(f"{value:.2f}" for value in figures["load"]))
    print(f"queries per job step: {figures['queries_small']:.2f} (20 jobs, before the run), "
          f"{figures['queries_large']:.2f} (20 jobs, after {args.jobs})")  # fmt: skip


if __name__ == "__main__":
    main()
