"""PostgreSQL triggers that NOTIFY `contractor_foreman` (as subcontracting 0002 does for answered tasks) when a job
becomes runnable from outside a worker's step: created waiting or queued, resumed, reset or rolled back (a state
other than waiting, queued or running becomes one of them), or made due at once (a signal clears `next_run_at`).
Idle workers LISTEN, so such a job starts within a moment instead of at their next poll. A step's ordinary writes do
not notify (queued becomes running, running stays running); one that ends a wait or a sleep does, which costs idle
workers one pass. Other databases get no trigger: the workers poll them."""

from django.db import migrations

RUNNABLE = "('waiting', 'queued', 'running')"

CREATED = f"""
CREATE TRIGGER contractor_foreman_job_created AFTER INSERT ON "foreman_job" FOR EACH ROW
WHEN (NEW."state" IN {RUNNABLE})
EXECUTE FUNCTION contractor_foreman_notify()
"""

RUNNABLE_AGAIN = f"""
CREATE TRIGGER contractor_foreman_job_runnable AFTER UPDATE OF "state", "next_run_at" ON "foreman_job" FOR EACH ROW
WHEN (NEW."state" IN {RUNNABLE} AND NEW."next_run_at" IS NULL
      AND (OLD."state" NOT IN {RUNNABLE} OR OLD."next_run_at" IS NOT NULL))
EXECUTE FUNCTION contractor_foreman_notify()
"""

TRIGGERS = ("contractor_foreman_job_created", "contractor_foreman_job_runnable")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {name} ON "foreman_job"')
    schema_editor.execute(CREATED)
    schema_editor.execute(RUNNABLE_AGAIN)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {name} ON "foreman_job"')


class Migration(migrations.Migration):
    dependencies = [("foreman", "0007_subcontractor_task_moved_out"), ("subcontracting", "0002_task_answered_notify")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
