"""Writes of the subcontractor protocol: registering a subcontractor, leasing tasks on poll, recording results and
errors (the first answer for a cookie wins), renewing the leases of tasks still running, and failing tasks whose
last lease ran out."""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from contractor.db import execute_prepared, validated_save
from contractor.site.models import Site
from contractor.subcontracting.choices import FINISHED_STATES, TaskState
from contractor.subcontracting.models import Subcontractor, Task
from contractor.subcontracting.selectors import (
    Poller,
    subcontractor_site_ids,
    subcontractor_sites_pick,
    task_leasable,
)
from contractor.user import roles
from contractor.user.models import User
from contractor.user.services import user_create, user_roles_set, user_token

DEFAULT_LEASE_SECONDS = 300
DEFAULT_MAX_ATTEMPTS = 3


def lease_seconds() -> float:
    return float(getattr(settings, "CONTRACTOR_TASK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def max_attempts() -> int:
    return int(getattr(settings, "CONTRACTOR_TASK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


@dataclass(frozen=True)
class Answer:
    """What a result or error post did: `accepted`, `duplicate` or `stale` (with why)."""

    status: str
    detail: str = ""


@dataclass(frozen=True)
class Report:
    """One answer a subcontractor reports: a task's result, or its error (`result` is then unused)."""

    task: int
    cookie: str
    result: object = None
    error: str | None = None
    retryable: bool = False


def _poll_modules(subcontractor: Subcontractor, modules: dict[str, int]) -> dict[str, int]:
    unknown = sorted(set(modules) - set(subcontractor.modules))
    if unknown:
        raise PermissionDenied(
            f"Subcontractor {subcontractor.name} is not registered for module(s) {', '.join(unknown)}."
        )
    return {name: count for name, count in modules.items() if count > 0}


#: Fail the tasks whose lease ran out after their last allowed attempt (rows another transaction holds are left for
#: the next time), saying which and when, as one statement: run alone, or as the first part of a poll's.
EXPIRE_SQL = """
expired AS (
    UPDATE {task} SET "state" = %(failed)s, "finished_at" = %(now)s, "updated" = %(now)s,
        "error" = 'Task ' || "module" || '.' || "function" || ' (' || "id" || ') of job ' || "job_id"
                  || ' got no answer after ' || "attempts" || ' attempt(s); its last lease ran out at '
                  || to_char("lease_expires" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '.'
    WHERE "id" IN (SELECT "id" FROM {task} WHERE "state" = %(leased)s AND "lease_expires" <= %(now)s
                   AND "attempts" >= %(max)s FOR UPDATE SKIP LOCKED)
    RETURNING "id"
)"""


def _expire_params(now) -> dict:
    return {"failed": TaskState.FAILED, "leased": TaskState.LEASED, "now": now, "max": max_attempts()}


def _task_table() -> str:
    return connection.ops.quote_name(Task._meta.db_table)


@functools.cache
def _expire_sql() -> str:
    """tasks_expire's statement, built once."""
    return f"WITH {EXPIRE_SQL.format(task=_task_table())} SELECT count(*) FROM expired"


def tasks_expire(*, now=None) -> int:
    """Fail every task whose lease ran out after its last allowed attempt; the foreman then errors its job."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_expire_sql(), _expire_params(now))  # not prepared, as the poll
            return cursor.fetchone()[0]
    with transaction.atomic():
        expired = Task.objects.select_for_update(skip_locked=True).filter(
            state=TaskState.LEASED, lease_expires__lte=now, attempts__gte=max_attempts()
        )
        count = 0
        for task in expired:
            task.state, task.finished_at = TaskState.FAILED, now
            task.error = (
                f"Task {task.module}.{task.function} ({task.pk}) of job {task.job_id} got no answer "
                f"after {task.attempts} attempt(s); its last lease ran out at {task.lease_expires.isoformat()}."
            )
            task.save(update_fields=["state", "finished_at", "error", "updated"])
            count += 1
    return count


def _lease(subcontractor: Subcontractor, site_ids: list[int], module: str, count: int, now) -> list[Task]:
    tasks = list(
        Task.objects.select_for_update(skip_locked=True)
        .filter(task_leasable(now), module=module, site_id__in=site_ids, attempts__lt=max_attempts())
        .order_by("pk")[:count]
    )
    expires = now + timedelta(seconds=lease_seconds())
    for task in tasks:
        task.state, task.leased_by, task.lease_expires = TaskState.LEASED, subcontractor, expires
        task.attempts, task.updated = task.attempts + 1, now
    Task.objects.bulk_update(tasks, ["state", "leased_by", "lease_expires", "attempts", "updated"])
    return tasks


@transaction.atomic
def task_lease_batch(
    *,
    subcontractor: Subcontractor,
    modules: dict[str, int],
    site_name: str | None = None,
    sites: list[str] | None = None,
    address: str | None = None,
) -> list[Task]:
    """Record the poll and lease up to the asked number of open tasks per module to the subcontractor.

    Only tasks of the sites it serves (those it is registered for and every site below them; or the sites it
    names, `site_name` or `sites`, which it must serve) and of modules it is registered for; rows another poll
    holds are skipped, so no task is ever leased twice at once.
    """
    site_ids = subcontractor_sites_pick(subcontractor, site_name if sites is None else sites)
    wanted = _poll_modules(subcontractor, modules)
    now = timezone.now()
    subcontractor.last_poll_at, subcontractor.last_address = now, address or None
    subcontractor.save(update_fields=["last_poll_at", "last_address", "updated"])
    tasks_expire(now=now)
    leased = []
    for module, count in sorted(wanted.items()):
        leased += _lease(subcontractor, site_ids, module, count, now)
    return leased


@transaction.atomic
def task_leases_renew(*, subcontractor: Subcontractor, tasks: list[tuple[int, str]]) -> dict[int, object]:
    """Extend the lease of each (task id, cookie) the subcontractor still holds to now + the lease length, so a
    task that runs longer than one lease is not handed out again; the new deadline per renewed task id.

    Only a task that is `leased` to this subcontractor with that cookie is renewed (one that ran out and was
    leased to another, or was answered or cancelled, is not: it is missing from the answer)."""
    if not tasks:
        return {}
    held = Q()
    for task_id, cookie in tasks:
        held |= Q(pk=task_id, cookie=cookie)
    now = timezone.now()
    expires = now + timedelta(seconds=lease_seconds())
    mine = Task.objects.filter(held, state=TaskState.LEASED, leased_by=subcontractor)
    renewed = list(mine.select_for_update().values_list("pk", flat=True))
    Task.objects.filter(pk__in=renewed).update(lease_expires=expires, updated=now)
    return {pk: expires for pk in renewed}


#: A poll in one statement (PostgreSQL): record it on the subcontractor, fail the tasks whose last lease ran out, and
#: lease per module up to its count of the oldest open tasks of the polled sites that no other poll holds.
POLL_SQL = """
WITH polled AS (
    UPDATE {sc} SET "last_poll_at" = %(now)s, "last_address" = %(address)s, "updated" = %(now)s WHERE "id" = %(sc_id)s
), {expired}, picked AS (
    SELECT p."id" FROM unnest(%(modules)s::text[], %(counts)s::int[]) AS w(module, n)
    CROSS JOIN LATERAL (
        SELECT t."id" FROM {task} t
        WHERE t."module" = w.module AND t."site_id" = ANY(%(sites)s) AND t."attempts" < %(max)s
          AND (t."state" = %(pending)s OR (t."state" = %(leased)s AND t."lease_expires" <= %(now)s))
        ORDER BY t."id" LIMIT w.n FOR UPDATE SKIP LOCKED
    ) p
)
UPDATE {task} t SET "state" = %(leased)s, "leased_by_id" = %(sc_id)s, "lease_expires" = %(expires)s,
                    "attempts" = t."attempts" + 1, "updated" = %(now)s
FROM picked WHERE t."id" = picked."id"
RETURNING t."id", t."job_id", t."module", t."function", t."parameters"::text, t."cookie", t."lease_expires",
          t."attempts"
"""


@functools.cache
def _poll_sql() -> str:
    """POLL_SQL with its tables named, built once (a poll is the protocol's hot path)."""
    return POLL_SQL.format(sc=connection.ops.quote_name(Subcontractor._meta.db_table), task=_task_table(),
                           expired=EXPIRE_SQL.format(task=_task_table()).strip())  # fmt: skip


def task_lease_poll(
    *,
    poller: Poller,
    modules: dict[str, int],
    site_name: str | None = None,
    sites: list[str] | None = None,
    address: str | None = None,
) -> list[Task]:
    """task_lease_batch for a poller read by subcontractor_polling, as one statement (PostgreSQL): the checks
    (sites served, modules registered) come first, so a refused poll records nothing."""
    subcontractor = poller.subcontractor
    site_ids = poller.sites_pick(site_name if sites is None else sites)
    wanted = sorted(_poll_modules(subcontractor, modules).items())
    now = timezone.now()
    params = {**_expire_params(now), "sc_id": subcontractor.pk, "address": address or None,
              "modules": [module for module, _ in wanted], "counts": [count for _, count in wanted],
              "sites": sorted(site_ids), "pending": TaskState.PENDING,
              "expires": now + timedelta(seconds=lease_seconds())}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_poll_sql(), params)  # not prepared: its generic plan read five times the rows
        rows = cursor.fetchall()
    tasks = [Task(pk=pk, job_id=job, module=module, function=function, parameters=json.loads(parameters),
                  cookie=cookie, lease_expires=expires, attempts=attempts, state=TaskState.LEASED,
                  leased_by=subcontractor)
             for pk, job, module, function, parameters, cookie, expires, attempts in rows]  # fmt: skip
    return sorted(tasks, key=lambda task: (task.module, task.pk))


def _locked_task(task_id: int, subcontractor: Subcontractor) -> Task:
    task = Task.objects.select_for_update().filter(pk=task_id, site_id__in=subcontractor_site_ids(subcontractor))
    task = task.first()
    if task is None:
        raise Task.DoesNotExist(f"No task {task_id} for subcontractor {subcontractor.name}.")
    return task


def _check_answer(task: Task, cookie: str) -> Answer | None:
    """None when the answer may be recorded; otherwise the stale or duplicate answer to give."""
    if cookie != task.cookie:
        return Answer("stale", f"The cookie is not the current one of task {task.pk}.")
    if task.state == TaskState.CANCELLED:
        return Answer("stale", f"Task {task.pk} was cancelled.")
    if task.state in FINISHED_STATES:
        return Answer("duplicate", f"Task {task.pk} already has its answer.")
    return None


def _mark_answered(task: Task, subcontractor: Subcontractor, state: str, now, fields: dict) -> None:
    """Set (not save) what an accepted answer records on its task."""
    task.state, task.finished_at, task.leased_by = state, now, subcontractor
    for name, value in fields.items():
        setattr(task, name, value)


def _error_text(error: str, retryable: bool) -> str:
    return str(error or "no message") + (" (retryable)" if retryable else "")


def _finish(task: Task, subcontractor: Subcontractor, state: str, **fields) -> Answer:
    _mark_answered(task, subcontractor, state, timezone.now(), fields)
    task.save(update_fields=["state", "finished_at", "leased_by", *fields, "updated"])
    return Answer("accepted")


@transaction.atomic
def task_complete(*, task_id: int, subcontractor: Subcontractor, cookie: str, result) -> Answer:
    """Record a task's result once: the first answer for the cookie wins, a repeat is a duplicate."""
    task = _locked_task(task_id, subcontractor)
    return _check_answer(task, cookie) or _finish(task, subcontractor, TaskState.DONE, result=result, error="")


@transaction.atomic
def task_fail(
    *, task_id: int, subcontractor: Subcontractor, cookie: str, error: str, retryable: bool = False
) -> Answer:
    """Record a task's error once (the foreman puts its job in error); a repeat is a duplicate."""
    task = _locked_task(task_id, subcontractor)
    text = _error_text(error, retryable)
    return _check_answer(task, cookie) or _finish(task, subcontractor, TaskState.FAILED, error=text)


def _report_fields(report: Report) -> tuple[str, dict]:
    if report.error is None:
        return TaskState.DONE, {"result": report.result, "error": ""}
    return TaskState.FAILED, {"error": _error_text(report.error, report.retryable)}


#: A batch of answers on PostgreSQL, in two statements built once: lock the reported tasks of the caller's sites (id
#: order, what the checks read), then write every accepted answer at once from parallel arrays.
ANSWER_LOCK_SQL = """
SELECT "id", "state", "cookie" FROM {task} WHERE "id" = ANY(%(ids)s) AND "site_id" = ANY(%(sites)s)
ORDER BY "id" FOR UPDATE
"""
ANSWER_WRITE_SQL = """
UPDATE {task} t SET "state" = a.state, "finished_at" = %(now)s, "leased_by_id" = %(sc_id)s, "error" = a.error,
                    "result" = CASE WHEN a.state = %(done)s THEN a.result::jsonb ELSE t."result" END,
                    "updated" = %(now)s
FROM unnest(%(ids)s::bigint[], %(states)s::text[], %(results)s::text[], %(errors)s::text[])
     AS a(id, state, result, error)
WHERE t."id" = a.id
"""


@functools.cache
def _answer_sql() -> tuple[str, str]:
    return ANSWER_LOCK_SQL.format(task=_task_table()), ANSWER_WRITE_SQL.format(task=_task_table())


def _answers_locked(ids: list[int], sites: set[int]) -> dict[int, Task]:
    """The reported tasks of the caller's sites, locked in id order (only what the checks read)."""
    if connection.vendor != "postgresql":
        locked = Task.objects.select_for_update().filter(pk__in=ids, site_id__in=sites)
        return {task.pk: task for task in locked.order_by("pk")}
    with connection.cursor() as cursor:
        execute_prepared(cursor, _answer_sql()[0], {"ids": ids, "sites": sorted(sites)})
        return {pk: Task(pk=pk, state=state, cookie=cookie) for pk, state, cookie in cursor.fetchall()}


def _answers_write(changed: list[Task], subcontractor: Subcontractor, now) -> None:
    if connection.vendor != "postgresql":
        Task.objects.bulk_update(changed, ["state", "finished_at", "leased_by", "result", "error", "updated"])
        return
    params = {"ids": [task.pk for task in changed], "states": [task.state for task in changed],
              "results": [None if task.result is None else json.dumps(task.result) for task in changed],
              "errors": [task.error for task in changed], "now": now, "sc_id": subcontractor.pk,
              "done": TaskState.DONE}  # fmt: skip
    with connection.cursor() as cursor:
        execute_prepared(cursor, _answer_sql()[1], params)


@transaction.atomic
def task_answer_batch(
    *, subcontractor: Subcontractor, reports: list[Report], site_ids: set[int] | None = None
) -> list[Answer]:
    """Record many results and errors in one transaction; one Answer per report, in order.

    The rules are those of task_complete and task_fail (first answer wins, a repeat is a duplicate, another
    cookie or a cancelled or unknown task is stale). The tasks are locked together, in id order. `site_ids`: the
    sites the caller serves, when its authentication read them already (a Poller); else they are read here.
    On PostgreSQL it is two statements (lock, write) besides the transaction's.
    """
    ids = sorted({report.task for report in reports})
    sites = subcontractor_site_ids(subcontractor) if site_ids is None else site_ids
    tasks = _answers_locked(ids, sites)
    now, changed, replies = timezone.now(), {}, []
    for report in reports:
        task = tasks.get(report.task)
        if task is None:
            replies.append(Answer("stale", f"No task {report.task} for subcontractor {subcontractor.name}."))
            continue
        refusal = _check_answer(task, report.cookie)
        if refusal is None:
            state, fields = _report_fields(report)
            _mark_answered(task, subcontractor, state, now, {**fields, "updated": now})
            changed[task.pk] = task
        replies.append(refusal or Answer("accepted"))
    if changed:
        _answers_write(list(changed.values()), subcontractor, now)
    return replies


@transaction.atomic
def subcontractor_register(*, name: str, sites: list[str], modules: list[str]) -> tuple[Subcontractor, str]:
    """Create or update a subcontractor: its user in the subcontractor role, its sites and modules; return its token."""
    found = list(Site.objects.filter(name__in=sites))
    missing = sorted(set(sites) - {site.name for site in found})
    if missing or not sites:
        raise ValidationError(
            {"sites": f"No site named {', '.join(missing)}." if missing else "Give at least one site."}
        )
    user = User.objects.filter(username=name).first()
    if user is None:
        user = user_create(username=name, roles=[roles.SUBCONTRACTOR])
    else:
        user_roles_set(user=user, roles=[roles.SUBCONTRACTOR])
    subcontractor, _ = Subcontractor.objects.get_or_create(user=user, defaults={"name": name})
    subcontractor.name, subcontractor.modules = name, sorted(set(modules))
    validated_save(subcontractor)
    subcontractor.sites.set(found)
    return subcontractor, user_token(user=user).key
