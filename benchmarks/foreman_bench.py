"""Benchmark the Foreman: N foundations whose create scripts make three remote calls, W workers, PostgreSQL.

Run with `python benchmarks/foreman_bench.py [--jobs N] [--workers W] [--answerers A] [--database-url URL]`.
It (re)creates the database named in the URL (default postgres://postgres@127.0.0.1:5432/contractor_bench),
migrates it, plans N manual foundations and their create jobs, then starts W `manage.py foreman`
processes and A answerer threads that play the subcontractors the way the protocol does: lease a
pending task with SKIP LOCKED and mark it done with a result. It prints jobs completed per second,
task round-trip latency (task created -> result applied by the job: median, p99) and the database
queries per job step, measured in-process on a small sample and on the full table, which should match.
Target: 1,000 jobs in under 60 s, queries per step constant as N grows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPT = """begin( description="bench create" )
  a = bench.call( n=1 )
  b = bench.call( n=2 )
  c = bench.call( n=3 )
end
"""


def bench_module(context):
    """`bench.call( n= )`: a remote task of the subcontractor module `bench`."""
    from tscript import Module, Remote

    module = Module("bench")
    module.add_function("call", Remote())
    return module


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
    os.environ["CONTRACTOR_DEBUG"] = "false"  # no query log in the workers
    os.environ["CONTRACTOR_FOREMAN_TSCRIPT_MODULES"] = "benchmarks.foreman_bench.bench_module"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contractor.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def plan(count: int, prefix: str) -> list[int]:
    """Foundations with create jobs; returns the job ids."""
    from contractor.blueprint.models import FoundationBluePrint, Script
    from contractor.foreman.services import job_create
    from contractor.site.models import Site
    from plugins.manual.models import ManualFoundation

    site, _ = Site.objects.get_or_create(name="bench")
    blueprint, created = FoundationBluePrint.objects.get_or_create(
        name="bench", defaults={"foundation_types": ["manual"]}
    )
    if created:
        Script.objects.create(blueprint=blueprint, name="create", script=SCRIPT)
    ids = []
    for index in range(count):
        foundation = ManualFoundation.objects.create(locator=f"{prefix}-{index:05d}", site=site, blueprint=blueprint)
        ids.append(job_create(target=foundation, script_name="create").pk)
    return ids


def answer_tasks(stop: threading.Event) -> None:
    """Play a subcontractor: lease pending tasks (SKIP LOCKED) and post their results."""
    from django.db import connection, transaction
    from django.utils import timezone

    from contractor.foreman.models import Task

    while not stop.is_set():
        with transaction.atomic():
            tasks = list(Task.objects.select_for_update(skip_locked=True).filter(state="pending").order_by("pk")[:20])
            for task in tasks:
                task.state, task.result, task.finished_at, task.attempts = "done", {"ok": task.pk}, timezone.now(), 1
            Task.objects.bulk_update(tasks, ["state", "result", "finished_at", "attempts"])
        if not tasks:
            time.sleep(0.01)
    connection.close()


def queries_per_step(count: int, prefix: str) -> float:
    """Queries per step of `count` fresh jobs stepped in-process to the end (answering their tasks directly)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from contractor.foreman.models import Job, Task
    from contractor.foreman.runner import job_step

    ids = plan(count, prefix)
    reset_queries()
    steps = queries = 0
    for job_id in ids:
        while Job.objects.filter(pk=job_id).exclude(state="done").exists():
            Task.objects.filter(job_id=job_id, state="pending").update(state="done", result={"ok": 1})
            with CaptureQueriesContext(connection) as captured:
                stepped = job_step(job_id=job_id)
            steps += stepped
            queries += len(captured) if stepped else 0
    return queries / max(steps, 1)


def run(jobs: int, workers: int, answerers: int) -> dict:
    from contractor.foreman.models import Job, Task

    small = queries_per_step(20, "qs-small")
    ids = plan(jobs, "bench")
    env = {**os.environ}
    command = [sys.executable, "manage.py", "foreman", "--batch", "50", "--interval", "0.05"]
    stop = threading.Event()
    threads = [threading.Thread(target=answer_tasks, args=(stop,)) for _ in range(answerers)]
    started = time.monotonic()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        while Job.objects.filter(pk__in=ids).exclude(state="done").exists():
            if time.monotonic() - started > 600:
                raise SystemExit("gave up after 600 s")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=10)
    large = queries_per_step(20, "qs-large")
    trips = [(t.updated - t.created).total_seconds() for t in Task.objects.filter(job_id__in=ids, state="applied")]
    trips.sort()
    return {"jobs": jobs, "elapsed": elapsed, "jobs_per_second": jobs / elapsed, "tasks": len(trips),
            "median": statistics.median(trips), "p99": trips[int(len(trips) * 0.99) - 1],
            "queries_small": small, "queries_large": large}  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--answerers", type=int, default=2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/contractor_bench")
    args = parser.parse_args(argv)
    recreate_database(args.database_url)
    setup_django(args.database_url)
    figures = run(args.jobs, args.workers, args.answerers)
    print(f"{figures['jobs']} jobs (3 remote calls each) with {args.workers} workers in {figures['elapsed']:.1f} s")
    print(f"jobs completed per second: {figures['jobs_per_second']:.1f}")
    print(f"task round trip ({figures['tasks']} tasks): median {figures['median'] * 1000:.0f} ms, "
          f"p99 {figures['p99'] * 1000:.0f} ms")  # fmt: skip
    print(f"queries per job step: {figures['queries_small']:.1f} (20 jobs in the table), "
          f"{figures['queries_large']:.1f} (after {figures['jobs']})")  # fmt: skip


if __name__ == "__main__":
    main()
