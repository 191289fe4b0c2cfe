"""Address offsets (and block gateway offsets) are stored whole, up to 2**128 - 1, as 39 zero-padded digits.

They were 64-bit integers, which stop at 2**63. PostgreSQL will not change the type of a column a trigger's
WHEN names (the dns app's NOTIFY triggers watch `offset`), so the triggers of the address table are dropped
around the change and put back as they were.
"""

from django.db import migrations, models

import contractor.fields

COLUMNS = [("address", "offset", False), ("addressblock", "gateway_offset", True)]


def _triggers(schema_editor, table: str) -> list[tuple[str, str]]:
    if schema_editor.connection.vendor != "postgresql":
        return []
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        return list(cursor.fetchall())


def _convert(apps, schema_editor, to_offsets: bool) -> None:
    for model_name, name, null in COLUMNS:
        model = apps.get_model("utilities", model_name)
        table = model._meta.db_table
        triggers = _triggers(schema_editor, table)
        for trigger, _definition in triggers:
            schema_editor.execute(f'DROP TRIGGER "{trigger}" ON "{table}"')
        # Both fields are made here: the state this runs in (SeparateDatabaseAndState) is the one before, either way.
        offsets, integers = contractor.fields.OffsetField(null=null, blank=null), models.BigIntegerField(null=null)
        for field in (offsets, integers):
            field.set_attributes_from_name(name)
            field.model = model
        old, new = (integers, offsets) if to_offsets else (offsets, integers)
        schema_editor.alter_field(model, old, new)
        if to_offsets:
            schema_editor.execute(f'UPDATE "{table}" SET "{name}" = LPAD("{name}", 39, \'0\') WHERE "{name}" IS NOT NULL')
        for _trigger, definition in triggers:
            schema_editor.execute(definition)


def forwards(apps, schema_editor):
    _convert(apps, schema_editor, to_offsets=True)


def backwards(apps, schema_editor):
    _convert(apps, schema_editor, to_offsets=False)


class Migration(migrations.Migration):
    dependencies = [
        ("utilities", "0002_addressblock_classless_reverse"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="address",
                    name="offset",
                    field=contractor.fields.OffsetField(),
                ),
                migrations.AlterField(
                    model_name="addressblock",
                    name="gateway_offset",
                    field=contractor.fields.OffsetField(
                        blank=True, help_text="Offset of the gateway within the block (1 is the first address).", null=True
                    ),
                ),
            ],
        ),
    ]
