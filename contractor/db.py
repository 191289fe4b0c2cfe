"""Database helpers shared by the apps: the timestamped abstract model, the one validated save of the services, the
"in use" conflict of a delete, mending the broken connections of a long-running worker, and the hot paths' plain
SQL: rows read into instances, statements PostgreSQL prepares once per connection."""

import functools
import hashlib
import re
import weakref
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, connections, models
from django.db.models import ProtectedError, RestrictedError


class Timestamped(models.Model):
    """When a row was made and last saved: `created` and `updated`, for every model that keeps both."""

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


Row = TypeVar("Row", bound=models.Model)


def validated_save(
    instance: Row, *checks: Callable[[Row], None], exclude_constraints: set[str] | None = None, **save_options
) -> Row:
    """Validate `instance` in full, then save it: how every service writes a row (and nowhere else a full_clean).

    `full_clean()` checks the fields, the model's `clean()`, uniqueness and the constraints. `checks` (callables
    taking the instance and raising ValidationError) run after the fields and clean() and before the database
    constraints, so a message naming a field comes before a constraint's generic one; `exclude_constraints` leaves
    out the constraints a check stands for. `save_options` go to `save()`.
    """
    if checks or exclude_constraints:
        instance.full_clean(validate_constraints=False)
        for check in checks:
            check(instance)
        instance.validate_constraints(exclude=exclude_constraints)
    else:
        instance.full_clean()
    instance.save(**save_options)
    return instance


def validated(instance: Row, *, exclude: list[str] | None = None) -> Row:
    """Validate `instance` in full as validated_save() does, without saving: for rows a service inserts in bulk.

    `exclude` names fields the caller vouches for (saved rows it holds), whose checks would cost a query each.
    """
    instance.full_clean(exclude=exclude)
    return instance


def in_use_message(error: ProtectedError | RestrictedError, obj=None) -> str:
    """'<kind> <obj> is in use by <kind> <name>, ... and N more.': a sentence naming what holds on to `obj`."""
    held = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", None) or ()
    holders = sorted({f"{type(holder)._meta.verbose_name} {holder}" for holder in held})
    more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
    what = f"{type(obj)._meta.verbose_name} {obj}" if obj is not None else "It"
    return f"{what} is in use by {', '.join(holders[:5]) or 'other objects'}{more}, so it cannot be deleted."


def in_use_error(obj, error: ProtectedError | RestrictedError) -> IntegrityError:
    """A clear 'still in use' conflict (a 409 over the API) naming a few of the objects that hold on to `obj`."""
    return IntegrityError(in_use_message(error, obj))


def connections_mend() -> None:
    """Close each database connection that broke (a cut connection, a restarted server), so the next query of a
    long-running worker opens a fresh one instead of failing again; a working one is kept."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def instance_from_row(model: type[Row], values: list, using: str = "default") -> Row:
    """A model instance from a raw row holding its concrete fields' columns in declaration order, the database's
    converters applied as a queryset would (for hot paths that run plain SQL built once instead of compiling an ORM
    query each time)."""
    connection = connections[using]
    for index, column, converters in _row_converters(model, using):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(using, None, values)


def instances_from_row(models_: tuple, row, using: str = "default") -> tuple[list, int]:
    """The instances of `models_` read in turn from a raw row holding each one's columns as columns_of() lists them
    (None for a model whose primary key is NULL: a LEFT JOIN found no row), and the index of the row's next column."""
    instances, at = [], 0
    for model in models_:
        width = len(model._meta.concrete_fields)
        values = list(row[at : at + width])
        at += width
        instances.append(instance_from_row(model, values, using) if values[0] is not None else None)
    return instances, at


@functools.cache
def _row_converters(model, using: str) -> tuple:
    """(column index, the field's column expression, its converters) of each of the model's concrete fields that has
    converters: the backend's first (SQLite's make datetimes aware, for one), then the field's own, as a queryset
    applies them."""
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)]
        if converters:
            found.append((index, column, tuple(converters)))
    return tuple(found)


def columns_of(model, alias: str) -> str:
    """`alias."col1", alias."col2", ...`: the model's concrete columns in declaration order, for instance_from_row.

    A model with multi-table parents reads each column from its own table: `alias` is the root parent's, and
    `parent_joins(model, alias)` brings in the others."""
    quote = connections["default"].ops.quote_name
    aliases = table_aliases(model, alias)
    fields = model._meta.concrete_fields
    return ", ".join(f"{aliases[field.model._meta.concrete_model]}.{quote(field.column)}" for field in fields)


def parent_joins(model, alias: str) -> str:
    """The JOINs that add the tables of a model with multi-table parents to its root parent's table `alias`, as
    columns_of() names them (empty for a model of one table)."""
    quote = connections["default"].ops.quote_name
    aliases = table_aliases(model, alias)
    root = _root(model)
    on = f"{alias}.{quote(root._meta.pk.column)}"
    return "".join(
        f" JOIN {quote(table._meta.db_table)} {name} ON {name}.{quote(table._meta.pk.column)} = {on}"
        for table, name in aliases.items()
        if table is not root
    )


def _root(model):
    parents = model._meta.get_parent_list()  # nearest first
    return parents[-1] if parents else model


def table_aliases(model, alias: str) -> dict:
    """Each table a model's fields live in (by the model that declares them), root parent first, with the alias
    columns_of() and parent_joins() give it: the root is `alias`, the others `alias_1`, `alias_2`, ..."""
    chain = [*reversed(model._meta.get_parent_list()), model]
    return {table: alias if number == 0 else f"{alias}_{number}" for number, table in enumerate(chain)}


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")
#: Of each open PostgreSQL connection (the driver's own object): the names of the statements prepared on it, and of
#: those whose PREPARE may or may not have happened (sent with a statement that failed).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@functools.cache
def _prepared_forms(sql: str) -> tuple[str, str, str]:
    """(name, `PREPARE name AS ...`, `EXECUTE name(...)`) of a statement with %s or %(name)s placeholders: the
    PREPARE numbers them as PostgreSQL's $1, $2, ... (a name used twice is one parameter, its type inferred from
    where it is used), and the EXECUTE passes the values in that order, with the same placeholders."""
    name = "contractor_" + hashlib.sha1(sql.encode()).hexdigest()[:16]
    order: list[str] = []

    def number(match: re.Match) -> str:
        if match[1] is None:
            order.append("%s")
            return f"${len(order)}"
        placeholder = match[0]
        if placeholder not in order:
            order.append(placeholder)
        return f"${order.index(placeholder) + 1}"

    body = _PLACEHOLDER.sub(number, sql)
    arguments = f"({', '.join(order)})" if order else ""
    return name, f"PREPARE {name} AS {body}", f"EXECUTE {name}{arguments}"


def execute_prepared(cursor, sql: str, params=None) -> None:
    """Run `sql` (built once per process, its values only in `params`) as `cursor.execute` would, but on PostgreSQL as
    a prepared statement: parsed and planned once per connection (settings.py has Contractor's connections use the
    generic plan of a prepared statement), where a hot path's statement spent as long being planned as being run.
    The first use on a connection sends the PREPARE with the EXECUTE, one round trip, one query.

    Off (every statement sent whole) with CONTRACTOR_DB_PREPARE=false, for a pool such as PgBouncer in
    transaction mode, where consecutive statements may reach different server sessions."""
    connection = cursor.db
    if connection.vendor != "postgresql" or not settings.CONTRACTOR_DB_PREPARE:
        cursor.execute(sql, params)
        return
    name, prepare, execute = _prepared_forms(sql)
    prepared, unsure = _prepared.setdefault(connection.connection, (set(), set()))
    if name in unsure:  # a PREPARE sent with a statement that failed: ask the server whether it took
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        if cursor.fetchone():
            prepared.add(name)
        unsure.discard(name)
    if name in prepared:
        cursor.execute(execute, params)
        return
    # PREPARE is no part of the transaction: it stays even if the statement after it fails and that is rolled back
    unsure.add(name)
    cursor.execute(f"{prepare};\n{execute}", params)
    unsure.discard(name)
    prepared.add(name)


def statistics_refresh(*models_: type[models.Model], changed: int = 500, share: float = 0.1) -> list[str]:
    """ANALYZE each model's table (PostgreSQL) that has seen more than `changed` + `share` of its rows inserted,
    updated or deleted since it was last analysed; returns the tables analysed.

    Autovacuum does the same, but looks only every minute: after a burst of new jobs the planner still believed the
    few it had counted, and scanned every steppable job for each claim (three times the database's CPU per step).
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND n_mod_since_analyze > %s + %s * "
            "n_live_tup ORDER BY relname",
            [tables, changed, share],
        )
        stale = [name for (name,) in cursor.fetchall()]
        if stale:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(name) for name in stale))
    return stale
