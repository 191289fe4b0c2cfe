"""`contractor job watch`: poll a job until it ends, showing its progress, block, line and message."""

import time

import click
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from contractorcli.errors import JOB_ABORTED, JOB_ERROR, JOB_PAUSED, NOT_FOUND, OK, CliError
from contractorcli.output import console

OUTCOMES = {"done": OK, "aborted": JOB_ABORTED, "error": JOB_ERROR}


def job_status(client, job_id: int) -> dict:
    """The job's detail; a job deleted since it ended is answered from its log entry (its outcome as its state)."""
    try:
        return client.get(f"jobs/{job_id}/")
    except CliError as error:
        if error.exit_code != NOT_FOUND:
            raise
    rows, _ = client.pages("job-logs/", [("job", job_id)], limit=1)
    if not rows or not rows[0].get("outcome"):
        raise CliError(f"no job {job_id}", NOT_FOUND)
    return {"id": job_id, "state": rows[0]["outcome"], "message": rows[0]["message"], "progress": 100.0}


def describe(job: dict) -> str:
    """`running · Installing the OS · line 12 · Waiting for a person`: what the job is doing now."""
    parts = [job.get("state"), job.get("block"), f"line {job['line']}" if job.get("line") else None, job.get("message")]
    return " · ".join(str(part) for part in parts if part)


def watch_job(client, job_id: int, *, interval: float = 1.0, exit_on_pause: bool = False) -> int:
    """Follow the job until it is done, aborted or in error (or paused, with exit_on_pause); its exit status."""
    live = console.is_terminal
    progress = Progress(TextColumn(f"job {job_id}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=console, disable=not live)  # fmt: skip
    bar, shown = progress.add_task("", total=100), None
    with progress:
        while True:
            job = job_status(client, job_id)
            text = describe(job)
            progress.update(bar, completed=job.get("progress") or 0, description=text)
            if not live and text != shown:  # a log line per change where no live bar can be drawn (pipes, CI)
                click.echo(f"{job.get('progress') or 0:5.1f}% {text}")
            shown = text
            code = _ended(job, exit_on_pause)
            if code is not None:
                break
            time.sleep(interval)
    click.echo(f"job {job_id} {job['state']}" + (f": {job['message']}" if job.get("message") else ""))
    return code


def _ended(job: dict, exit_on_pause: bool) -> int | None:
    if job["state"] == "paused" and exit_on_pause:
        return JOB_PAUSED
    return OUTCOMES.get(job["state"])
