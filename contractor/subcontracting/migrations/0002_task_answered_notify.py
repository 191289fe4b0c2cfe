"""A PostgreSQL trigger that NOTIFYs `contractor_foreman` when a task gets its answer (done or failed: a result,
an error, an expired last lease), at commit; idle foreman workers LISTEN and step its job at once instead of
waiting for their next poll. Other databases get no trigger: the workers poll them."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION contractor_foreman_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('contractor_foreman', '');  -- one notice a transaction: equal ones are folded at commit
    RETURN NULL;
END $$;
"""

TRIGGER = """
CREATE TRIGGER contractor_foreman_task_answered AFTER UPDATE OF "state" ON "subcontracting_task" FOR EACH ROW
WHEN (NEW."state" IN ('done', 'failed') AND OLD."state" IS DISTINCT FROM NEW."state")
EXECUTE FUNCTION contractor_foreman_notify()
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute('DROP TRIGGER IF EXISTS contractor_foreman_task_answered ON "subcontracting_task"')
    schema_editor.execute(TRIGGER)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP TRIGGER IF EXISTS contractor_foreman_task_answered ON "subcontracting_task"')
    schema_editor.execute("DROP FUNCTION IF EXISTS contractor_foreman_notify()")


class Migration(migrations.Migration):
    dependencies = [("subcontracting", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
