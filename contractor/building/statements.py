"""The foundation a state change locks, read in one statement built once per process.

Each foreman job that builds a foundation ends by locking it: compiling that as an ORM query (the foundation as its
type's model, with site, blueprint and whether the blueprint has parents) cost more CPU than the rest of the step,
and PostgreSQL planned it every time; this is plain SQL made from the models' metadata, prepared on PostgreSQL.
"""

import functools

from django.db import connection

from contractor.blueprint.models import BluePrint, BluePrintParent, FoundationBluePrint
from contractor.building.models import Foundation
from contractor.db import columns_of, execute_prepared, instances_from_row, parent_joins, table_aliases
from contractor.site.models import Site


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(model, name: str) -> str:
    return _q(model._meta.get_field(name).column)


@functools.cache
def locked_foundation_sql(model: type[Foundation]) -> str:
    """Lock one foundation's rows (its base row and its type's) and load it as `model`, with its site and blueprint
    and whether that blueprint has parents. SQLite has no row locks (its transactions hold the database's)."""
    site, blueprint = _column(Foundation, "site"), _column(Foundation, "blueprint")
    child = _column(BluePrintParent, "child")
    parents = f"SELECT 1 FROM {_q(BluePrintParent._meta.db_table)} p WHERE p.{child} = f.{blueprint}"
    sql = (
        f"SELECT {columns_of(model, 'f')}, {columns_of(Site, 's')}, {columns_of(FoundationBluePrint, 'b')}, "
        f"EXISTS ({parents}) "
        f"FROM {_q(Foundation._meta.db_table)} f{parent_joins(model, 'f')} "
        f"JOIN {_q(Site._meta.db_table)} s ON s.{_q(Site._meta.pk.column)} = f.{site} "
        f"JOIN {_q(BluePrint._meta.db_table)} b ON b.{_q(BluePrint._meta.pk.column)} = f.{blueprint}"
        f"{parent_joins(FoundationBluePrint, 'b')} "
        f"WHERE f.{_q(Foundation._meta.pk.column)} = %s"
    )
    if not connection.features.has_select_for_update:
        return sql
    return f"{sql} FOR UPDATE OF {', '.join(table_aliases(model, 'f').values())}"


def locked_foundation(model: type[Foundation], pk: int) -> Foundation:
    """The foundation `pk` as `model`, its rows locked until the transaction ends, with `site` and `blueprint` loaded
    and `blueprint_inherits` set; `model.DoesNotExist` if there is none."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, locked_foundation_sql(model), [pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    (foundation, site, blueprint), at = instances_from_row((model, Site, FoundationBluePrint), row, connection.alias)
    Foundation.site.field.set_cached_value(foundation, site)
    Foundation.blueprint.field.set_cached_value(foundation, blueprint)
    foundation.blueprint_inherits = bool(row[at])
    return foundation
