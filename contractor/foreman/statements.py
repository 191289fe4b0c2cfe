"""A job step's two statements on PostgreSQL, each built once per process: the claim, which locks a runnable job and
loads it with what its step needs, and the write, which stores everything the step changed.

Compiling an ORM query costs more CPU than PostgreSQL takes to run it, and a step runs these two every time, so they
are plain SQL made from the models' metadata; the ORM path in runner.py does the same on other databases.
"""

import functools
import json
import re

from django.db import connection

from contractor.building.models import Dependency, Foundation
from contractor.db import columns_of, execute_prepared, instances_from_row
from contractor.foreman.choices import STEPPABLE_STATES
from contractor.foreman.models import Job, JobLog
from contractor.site.models import Site
from contractor.subcontracting.choices import ANSWERED_TASK_STATES, OPEN_TASK_STATES, TaskState
from contractor.subcontracting.models import Task
from contractor.webhooks.models import Event, Subscription

#: What ending a job (or its last step) changes on the job row, never the script source; a worker's step writes these
#: too (finished_at stays None until the end).
FINISH_FIELDS = ["state", "message", "runner_state", "step_count", "last_step_at", "next_run_at", "started_at",
                 "signalled_at", "finished_at", "steps", "updated"]  # fmt: skip
#: What a finishing step may write to its foundation target (set built), in the same statement as the rest.
TARGET_FIELDS = ("state", "located_at", "built_at", "updated")
#: What a step may write to its job's log entry: a field left None keeps its value.
LOG_FIELDS = ("started_at", "finished_at", "outcome", "message", "steps")
EVENT_COLUMNS = ("kind", "payload", "target_kind", "target_id", "site_id", "blueprint_id")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"  # the choices' own values, never user input


def _runnable(task: str) -> str:
    """The WHERE of a runnable job `j` (a parameter: now): steppable, due, and waiting on no open task."""
    open_task = f"SELECT 1 FROM {task} o WHERE o.job_id = j.id AND o.state IN {_in(OPEN_TASK_STATES)}"
    return (f"j.state IN {_in(STEPPABLE_STATES)} AND (j.next_run_at IS NULL OR j.next_run_at <= %(now)s) "
            f"AND NOT EXISTS ({open_task})")  # fmt: skip


@functools.cache
def runnable_ids_sql() -> str:
    """A worker's candidates in one query: the runnable jobs with answered tasks (`answered` of them at most), then
    the runnable jobs (`limit` at most), each list least recently stepped first (the never stepped first); the second
    column says which list a row is in."""
    job, task = _q(Job._meta.db_table), _q(Task._meta.db_table)
    answered = f"EXISTS (SELECT 1 FROM {task} a WHERE a.job_id = j.id AND a.state IN {_in(ANSWERED_TASK_STATES)})"
    order = "ORDER BY j.last_step_at ASC NULLS FIRST, j.id"
    return (f"(SELECT j.id, true FROM {job} j WHERE {_runnable(task)} AND {answered} {order} LIMIT %(answered)s) "
            f"UNION ALL (SELECT j.id, false FROM {job} j WHERE {_runnable(task)} {order} LIMIT %(limit)s)")  # fmt: skip


def runnable_ids(answered: int, limit: int, now) -> tuple[list[int], list[int]]:
    """(Up to `answered` runnable jobs with answers, up to `limit` runnable jobs), each least recently stepped first."""
    with connection.cursor() as cursor:
        # not prepared: its generic plan, blind to `now`, read three times the rows
        cursor.execute(runnable_ids_sql(), {"answered": answered, "limit": limit, "now": now})
        rows = cursor.fetchall()
    return [pk for pk, first in rows if first], [pk for pk, first in rows if not first]


@functools.cache
def claim_sql() -> str:
    """Lock (skipping jobs other workers hold) and load the `limit` least recently stepped runnable jobs of a list of
    ids, in that order: each job row, its foundation target, that foundation's site and the dependency it waits for
    if any (what a job's first step checks), and its answered tasks as JSON, oldest first."""
    job, task = _q(Job._meta.db_table), _q(Task._meta.db_table)
    answered = (f"SELECT jsonb_agg(jsonb_build_object('id', t.id, 'state', t.state, 'cookie', t.cookie, 'result', "
                f"t.result, 'error', t.error, 'module', t.module, 'function', t.function) ORDER BY t.id) FROM {task} t "
                f"WHERE t.job_id = j.id AND t.state IN {_in(ANSWERED_TASK_STATES)}")  # fmt: skip
    return (
        f"SELECT {columns_of(Job, 'j')}, {columns_of(Foundation, 'f')}, {columns_of(Site, 's')}, "
        f"{columns_of(Dependency, 'd')}, ({answered}) "
        # the candidates drive the join, so each is one primary-key lookup however stale the table's statistics
        # (a burst of new jobs not yet analysed made the planner scan every steppable job instead)
        f"FROM unnest(%(ids)s::bigint[]) AS c(id) JOIN {job} j ON j.id = c.id "
        f"LEFT JOIN {_q(Foundation._meta.db_table)} f ON f.id = j.foundation_id "
        f"LEFT JOIN {_q(Site._meta.db_table)} s ON s.id = f.site_id "
        f"LEFT JOIN {_q(Dependency._meta.db_table)} d ON d.{_q(Dependency.foundation.field.column)} = f.id "
        f"WHERE {_runnable(task)} "
        "ORDER BY j.last_step_at ASC NULLS FIRST, j.id LIMIT %(limit)s FOR UPDATE OF j SKIP LOCKED"
    )


#: The models of a claim's row, in column order.
CLAIMED_MODELS = (Job, Foundation, Site, Dependency)


def job_claim(job_ids: list[int], now) -> Job | None:
    """The claimed job (its row now locked by this transaction), with `job.foundation` and its site loaded when the
    target is a foundation, and `job.answered` (a list of dicts); None when every candidate is held or not due."""
    claimed = jobs_claim(job_ids, now, 1)
    return claimed[0] if claimed else None


def jobs_claim(job_ids: list[int], now, limit: int) -> list[Job]:
    """Up to `limit` claimed jobs, least recently stepped first, each loaded as `job_claim` loads one."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, claim_sql(), {"ids": job_ids, "now": now, "limit": limit})
        rows = cursor.fetchall()
    return [_claimed_job(row) for row in rows]


def _claimed_job(row) -> Job:
    (job, foundation, site, dependency), at = instances_from_row(CLAIMED_MODELS, row, connection.alias)
    if foundation is not None:
        Foundation.site.field.set_cached_value(foundation, site)
        Foundation.dependency.related.set_cached_value(foundation, dependency)  # None: known to have none
        Job.foundation.field.set_cached_value(job, foundation)
    answered = row[at]
    job.answered = (json.loads(answered) if isinstance(answered, str) else answered) or []
    return job


def _event_value(name: str) -> str:
    """An event's column read from its JSON object (see the write's `events`)."""
    if name in ("site_id", "blueprint_id"):
        return f"(e.v->>'{name}')::bigint"
    return f"e.v->'{name}'" if name == "payload" else f"e.v->>'{name}'"


@functools.cache
def write_sql() -> str:
    """One statement for all a step changed: the job row; the answered tasks it applied or cancelled, only if still
    answered (the first value it returns says how many were); the task the script now waits for, created once per
    cookie; the foundation a finishing step set built; the job's log entry; the events, inserted in order (their
    ids are the second value). The third says whether any subscription may want them (then deliveries are made
    apart). PostgreSQL runs every data-modifying WITH query though the final SELECT reads only some."""
    return f"WITH {_write_queries()}\nSELECT {_WRITTEN}, {_subscribed()}"


@functools.cache
def write_many_sql(count: int) -> str:
    """`write_sql` for `count` steps in one statement: each step's parameters carry the suffix `_<index>` (but `now`
    and `has_events`, shared), and it returns each step's two values in turn, then the third once."""
    queries = ",\n".join(_suffixed(_write_queries(), index) for index in range(count))
    written = ", ".join(_suffixed(_WRITTEN, index) for index in range(count))
    return f"WITH {queries}\nSELECT {written}, {_subscribed()}"


#: What the write returns of a step: how many answered tasks it marked, the ids of the events it inserted.
_WRITTEN = '(SELECT count(*) FROM w_answered), (SELECT array_agg("id" ORDER BY "id") FROM w_events)'
_SHARED = ("now", "has_events")


def _suffixed(text: str, index: int) -> str:
    """`text` naming step `index`'s WITH queries and parameters (the shared ones kept)."""
    text = re.sub(r"\bw_", f"w{index}_", text)
    return re.sub(r"%\((\w+)\)s", lambda m: m[0] if m[1] in _SHARED else f"%({m[1]}_{index})s", text)


def _subscribed() -> str:
    return (f"%(has_events)s AND EXISTS (SELECT 1 FROM {_q(Subscription._meta.db_table)} WHERE \"active\" "
            f"AND (\"expires_at\" IS NULL OR \"expires_at\" > %(now)s))")  # fmt: skip


@functools.cache
def _write_queries() -> str:
    job, task, log = _q(Job._meta.db_table), _q(Task._meta.db_table), _q(JobLog._meta.db_table)
    job_set = ", ".join(f"{_q(Job._meta.get_field(name).column)} = %({name})s" for name in FINISH_FIELDS)
    target_set = ", ".join(f"{_q(name)} = %(target_{name})s" for name in TARGET_FIELDS)
    log_set = ", ".join(f"{_q(name)} = COALESCE(%(log_{name})s, {_q(name)})" for name in LOG_FIELDS)
    picked = ", ".join(_event_value(name) for name in EVENT_COLUMNS)
    event_columns = ", ".join(_q(name) for name in EVENT_COLUMNS)
    return f"""w_job AS (
    UPDATE {job} SET {job_set} WHERE "id" = %(job)s RETURNING "id"
), w_answered AS (
    UPDATE {task} SET "state" = CASE WHEN "id" = ANY(%(applied)s) THEN '{TaskState.APPLIED}'
                                     ELSE '{TaskState.CANCELLED}' END, "updated" = %(now)s
    WHERE "id" = ANY(%(answered)s) AND "state" IN {_in(ANSWERED_TASK_STATES)} RETURNING "id"
), w_dispatched AS (
    INSERT INTO {task} ("created", "updated", "job_id", "site_id", "module", "function", "parameters", "cookie",
                        "state", "attempts", "error")
    SELECT %(now)s, %(now)s, %(job)s, %(task_site)s, %(task_module)s, %(task_function)s, %(task_parameters)s::jsonb,
           %(task_cookie)s, '{TaskState.PENDING}', 0, ''
    WHERE %(dispatch)s
    ON CONFLICT ("cookie") DO NOTHING
), w_target AS (
    UPDATE {_q(Foundation._meta.db_table)} SET {target_set} WHERE "id" = %(target)s
), w_logged AS (
    UPDATE {log} SET {log_set} WHERE %(log)s AND "job_id_ref" = %(job)s
), w_events AS (
    INSERT INTO {_q(Event._meta.db_table)} ({event_columns}, "created")
    SELECT {picked}, %(now)s FROM jsonb_array_elements(%(events)s::jsonb) WITH ORDINALITY AS e(v, n)
    ORDER BY e.n RETURNING "id"
)"""
