"""PostgreSQL triggers that NOTIFY `contractor_dns` with "<kind>:<id>" when a row the zone files are made of
commits a change (kind: zone, site, block, structure, foundation); `dns_zones --follow` listens for them.
Other databases get no triggers: the follower polls them instead."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION contractor_dns_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key text;
    new_key text;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_key := to_jsonb(OLD) ->> TG_ARGV[1]; END IF;
    IF TG_OP <> 'DELETE' THEN new_key := to_jsonb(NEW) ->> TG_ARGV[1]; END IF;
    IF old_key IS NOT NULL THEN
        PERFORM pg_notify('contractor_dns', TG_ARGV[0] || ':' || old_key);
    END IF;
    IF new_key IS NOT NULL AND new_key IS DISTINCT FROM old_key THEN
        PERFORM pg_notify('contractor_dns', TG_ARGV[0] || ':' || new_key);
    END IF;
    RETURN NULL;
END $$;
"""

# (model, kind, the column naming what changed, the columns an UPDATE must change to matter; None: any)
WATCHED = [
    ("dns.Zone", "zone", "id", None),
    ("site.Site", "site", "id", ["parent_id", "zone_id"]),
    ("utilities.AddressBlock", "block", "id", ["subnet", "prefix", "vlan", "site_id"]),
    ("building.Foundation", "foundation", "id", ["locator"]),
    ("building.Structure", "structure", "id", ["hostname", "site_id", "foundation_id"]),
    (
        "utilities.Address",
        "structure",
        "structure_id",
        ["address_block_id", "offset", "kind", "structure_id", "interface_name", "alias_index", "is_primary"],
    ),
]


def trigger_sql(table: str, kind: str, key: str, columns: list[str] | None) -> list[str]:
    """The statements creating the two triggers of one table (row changes, and updates of `columns`)."""
    name = f"contractor_dns_{table}"
    args = f"'{kind}', '{key}'"
    changed = ""
    if columns:
        old = ", ".join(f'OLD."{column}"' for column in columns)
        new = ", ".join(f'NEW."{column}"' for column in columns)
        changed = f"WHEN (ROW({old}) IS DISTINCT FROM ROW({new}))"
    return [
        f'DROP TRIGGER IF EXISTS {name}_row ON "{table}"',
        f'DROP TRIGGER IF EXISTS {name}_update ON "{table}"',
        f'CREATE TRIGGER {name}_row AFTER INSERT OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION contractor_dns_notify({args})",
        f'CREATE TRIGGER {name}_update AFTER UPDATE ON "{table}" FOR EACH ROW {changed} '
        f"EXECUTE FUNCTION contractor_dns_notify({args})",
    ]


def install(apps, schema_editor, watched=WATCHED):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for model, kind, key, columns in watched:
        for statement in trigger_sql(apps.get_model(model)._meta.db_table, kind, key, columns):
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, *_rest in WATCHED:
        table = apps.get_model(model)._meta.db_table
        for suffix in ("row", "update"):
            schema_editor.execute(f'DROP TRIGGER IF EXISTS contractor_dns_{table}_{suffix} ON "{table}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS contractor_dns_notify()")


class Migration(migrations.Migration):
    dependencies = [
        ("dns", "0001_initial"),
        ("site", "0002_site_zone"),
        ("building", "0001_initial"),
        ("utilities", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
