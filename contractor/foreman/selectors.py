"""Reads for jobs and job logs, and what a job that has not started waits for."""

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from contractor.building.choices import FoundationState, StructureState
from contractor.building.hosting import hosted_foundations, hosting_of
from contractor.building.models import Complex, Dependency, Foundation, Structure
from contractor.configuration import redact
from contractor.foreman import statements
from contractor.foreman.choices import ACTIVE_STATES, CREATE, DESTROY, STEPPABLE_STATES, JobState
from contractor.foreman.models import Job, JobLog
from contractor.subcontracting.choices import ANSWERED_TASK_STATES, OPEN_TASK_STATES, TaskState
from contractor.subcontracting.models import Task
from tscript import Runner, StateError, TScriptError

BUILT = StructureState.BUILT  # the same value for foundations, structures and dependencies


def target_kind(target) -> str:
    """foundation, structure or dependency."""
    if isinstance(target, Foundation):
        return "foundation"
    return "structure" if isinstance(target, Structure) else "dependency"


def target_text(target) -> str:
    """The target as a job's log names it: the foundation's locator, the structure's hostname, the dependency's id."""
    if isinstance(target, Foundation):
        return target.locator
    return target.hostname if isinstance(target, Structure) else str(target.pk)


def job_active(script_name: str, **target) -> Job | None:
    """The active job running `script_name` on the target given as a filter (`foundation=...`), or None."""
    return Job.objects.filter(script_name=script_name, state__in=ACTIVE_STATES, **target).first()


def hosting_complex(foundation: Foundation) -> Complex | None:
    """The complex a hosted foundation (a VM) is placed on, or None."""
    hosted = hosting_of(foundation)
    return Complex.objects.get(pk=hosted.complex_id) if hosted is not None else None


def hosting_guests(structure: Structure) -> list:
    """The hosted foundations placed on a structure, whatever their state: one being built is there already, and
    a planned one still placed may have its VM there (its create stopped half way)."""
    return hosted_foundations(host_ids=[structure.pk])


def _guest_state(hosted) -> str:
    if hosted.state == BUILT:
        return "built"
    return "being built" if job_active(CREATE, foundation_id=hosted.foundation_id) else f"{hosted.state}, still placed"


def _dependency_built(dependency: Dependency) -> bool:
    if dependency.state == BUILT:
        return True
    source = dependency.source
    return source is not None and source.state == BUILT and not dependency.create_script_name


def _dependency_of(foundation: Foundation) -> Dependency | None:
    """The dependency the foundation's create waits for, if any: the claim loaded it (or that there is none)."""
    try:
        return foundation.dependency
    except Dependency.DoesNotExist:
        return None


def job_blocker(job: Job) -> str | None:
    """What a job that has not started yet waits for, or None when it may run."""
    target, script_name = job.target, job.script_name
    if isinstance(target, Structure) and script_name == CREATE and target.foundation.state != FoundationState.BUILT:
        return f"Waiting for foundation {target.foundation} to be built"
    if isinstance(target, Foundation) and script_name == CREATE:
        complex_ = hosting_complex(target)
        if complex_ is not None and complex_.state != BUILT:
            return f"Waiting for complex {complex_} to be built"
        dependency = _dependency_of(target)
        if dependency is not None and not _dependency_built(dependency):
            return f"Waiting for dependency {dependency.pk} ({dependency.source}) to be built"
    if isinstance(target, Foundation) and script_name == DESTROY:
        structure = Structure.objects.filter(foundation=target, state=BUILT).first()
        if structure is not None:
            return f"Waiting for structure {structure} to be destroyed"
    if isinstance(target, Structure) and script_name == DESTROY:
        guests = hosting_guests(target)
        if guests:
            return f"Waiting for foundation {guests[0].locator} ({_guest_state(guests[0])}) to be destroyed"
    if isinstance(target, Dependency) and script_name == CREATE and target.source.state != BUILT:
        return f"Waiting for {target.source} to be built"
    return None


def job_list() -> QuerySet[Job]:
    """Every job with its target and creator loaded, without the bulky script source and runner state."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by").defer(
        "source", "runner_state", "steps"
    )


def job_detail() -> QuerySet[Job]:
    """Jobs with their target, creator and open tasks loaded, for the progress view."""
    return Job.objects.select_related("foundation", "structure", "dependency", "created_by")


def job_log_list() -> QuerySet[JobLog]:
    """Every job log with its creator loaded, without the steps (the detail shows them)."""
    return JobLog.objects.select_related("created_by").defer("steps")


def job_log_detail() -> QuerySet[JobLog]:
    """Job logs with their creator and steps."""
    return JobLog.objects.select_related("created_by")


def job_log_steps(log: JobLog) -> list[dict]:
    """The job's story: copied into the log when the job ended; read from the job itself while it is active."""
    if log.finished_at is not None or log.job_id_ref is None:
        return log.steps
    live = Job.objects.filter(pk=log.job_id_ref).values_list("steps", flat=True).first()
    return log.steps if live is None else live


def job_runnable() -> QuerySet[Job]:
    """Jobs a worker may step now: waiting, queued or running, due, and not waiting on an open task."""
    open_task = Task.objects.filter(job=OuterRef("pk"), state__in=OPEN_TASK_STATES)
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=timezone.now())
    return Job.objects.filter(due, state__in=STEPPABLE_STATES).exclude(Exists(open_task))


#: The least recently stepped first (never stepped before any other), then by id.
STEP_ORDER = (F("last_step_at").asc(nulls_first=True), "pk")


def job_runnable_ids(limit: int) -> list[int]:
    """Up to `limit` runnable jobs: first jobs whose task answers have arrived (all of the pass but one place),
    then the least recently stepped of the others (the never stepped first). Answers are applied before new work
    starts, so a queue of new jobs does not delay the jobs already running, and every pass still starts or steps
    one of the others at least, so none starves."""
    answered_first = max(limit - 1, 1)
    if connection.vendor == "postgresql":
        ids, others = statements.runnable_ids(answered_first, limit, timezone.now())
    else:
        answered = Task.objects.filter(job=OuterRef("pk"), state__in=ANSWERED_TASK_STATES)
        first = job_runnable().filter(Exists(answered)).order_by(*STEP_ORDER).values_list("pk", flat=True)
        ids = list(first[:answered_first])
        others = list(job_runnable().exclude(pk__in=ids).order_by(*STEP_ORDER).values_list("pk", flat=True)[:limit])
    taken = set(ids)
    return ids + [pk for pk in others if pk not in taken][: limit - len(ids)]


def job_answers():
    """For a claim on PostgreSQL (an annotation): the job's answered tasks as a JSON list, oldest first, so one
    query claims a job and loads what its step applies."""
    row = JSONObject(id="pk", state="state", cookie="cookie", result="result", error="error", module="module",
                     function="function")  # fmt: skip
    answered = Task.objects.filter(job=OuterRef("pk"), state__in=ANSWERED_TASK_STATES).order_by().values("job")
    return Subquery(answered.annotate(rows=JSONBAgg(row, order_by="pk")).values("rows"))


def job_pending_task(job: Job) -> Task | None:
    """The job's newest task that is not yet applied or cancelled."""
    return job.tasks.exclude(state__in=(TaskState.APPLIED, TaskState.CANCELLED)).order_by("-pk").first()


def _elapsed(job: Job) -> float | None:
    if job.started_at is None:
        return None
    return ((job.finished_at or timezone.now()) - job.started_at).total_seconds()


def job_progress(job: Job) -> dict:
    """A job's progress from its saved interpreter state: percent, current block, times, line and variables."""
    view = {"progress": 100.0 if job.state == JobState.DONE else 0.0, "block": None, "elapsed": _elapsed(job),
            "remaining": None, "line": None, "variables": {}, "levels": []}  # fmt: skip
    if not job.runner_state:
        return view
    try:
        runner = Runner.from_state(job.source, job.runner_state)
    except (TScriptError, StateError):
        return view
    levels = runner.progress()
    scopes = [level for level in levels if level["kind"] == "scope"]
    outer = levels[0] if levels else {}
    view.update(progress=outer.get("percent") or 0.0, remaining=outer.get("remaining"), levels=levels)
    view.update(block=scopes[-1]["description"] if scopes else None, line=runner.line)
    view["variables"] = redact(runner.variables)
    return view


def job_pending_task_view(job: Job) -> dict | None:
    """The task the job waits on (secret parameters redacted), or None."""
    task = job_pending_task(job)
    if task is None:
        return None
    return {"id": task.pk, "module": task.module, "function": task.function, "parameters": redact(task.parameters),
            "cookie": task.cookie, "state": task.state, "attempts": task.attempts}  # fmt: skip
