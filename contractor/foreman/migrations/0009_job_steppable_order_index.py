"""An index of the steppable jobs in the order the foreman takes them: least recently stepped first, never stepped
first (`ORDER BY last_step_at ASC NULLS FIRST, id`), so a pass reads its first few candidates without reading every
steppable job.

Plain SQL because the two databases need different words: PostgreSQL puts NULLs last in an ascending index unless
told, and SQLite puts them first but refuses NULLS FIRST in an index. The model does not declare it, so the ORM
neither adds nor drops it.
"""

from django.db import migrations

NAME = "job_steppable_order_idx"
STEPPABLE = "('waiting', 'queued', 'running')"  # contractor.foreman.choices.STEPPABLE_STATES when this was written


def create(apps, schema_editor):
    nulls = " NULLS FIRST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f'CREATE INDEX "{NAME}" ON "foreman_job" ("last_step_at" ASC{nulls}, "id" ASC) WHERE "state" IN {STEPPABLE}'
    )


def drop(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX "{NAME}"')


class Migration(migrations.Migration):
    dependencies = [("foreman", "0008_job_runnable_notify")]

    operations = [migrations.RunPython(create, drop)]
