"""`contractor.db`'s hot-path helpers on PostgreSQL: statements prepared once per connection
(`execute_prepared`) and planner statistics refreshed after a burst of changes (`statistics_refresh`)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from contractor.db import _prepared_forms, execute_prepared, statistics_refresh
from contractor.site.models import Site

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements and ANALYZE are PostgreSQL's"
)

SQL = "SELECT name, %(factor)s * id FROM site_site WHERE name = ANY(%(names)s) ORDER BY name"


def prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def run(sql: str, params) -> list:
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, params)
        return cursor.fetchall()


@postgresql_only
def test_a_statement_is_prepared_on_first_use_and_reused_in_one_query_each_time():
    """The first run prepares and executes in one query; later runs execute only, with their own values."""
    east, west = Site.objects.create(name="east"), Site.objects.create(name="west")
    name = _prepared_forms(SQL)[0]
    with CaptureQueriesContext(connection) as first:
        rows = run(SQL, {"factor": 2, "names": ["east", "west"]})
    assert rows == [("east", 2 * east.pk), ("west", 2 * west.pk)]
    assert len(first.captured_queries) == 1 and first.captured_queries[0]["sql"].startswith(f"PREPARE {name} AS")
    assert name in prepared_names()
    with CaptureQueriesContext(connection) as second:
        assert run(SQL, {"factor": 3, "names": ["west"]}) == [("west", 3 * west.pk)]
    assert [query["sql"].split("(")[0] for query in second.captured_queries] == [f"EXECUTE {name}"]


def test_positional_placeholders_and_a_name_used_twice_are_numbered_in_order():
    name, prepare, execute = _prepared_forms("SELECT %(a)s::int + %(b)s::int + %(a)s::int, %s")
    assert prepare == f"PREPARE {name} AS SELECT $1::int + $2::int + $1::int, $3"
    assert execute == f"EXECUTE {name}(%(a)s, %(b)s, %s)"


@postgresql_only
def test_a_statement_that_failed_with_its_prepare_is_run_again_without_a_second_prepare():
    """The PREPARE outlives the rolled-back transaction of the statement sent with it; the next run finds it there
    (one question to the server) instead of preparing it twice, which PostgreSQL refuses."""
    sql = "SELECT 10 / %(divisor)s::int"
    with pytest.raises(DatabaseError), transaction.atomic():
        run(sql, {"divisor": 0})
    assert _prepared_forms(sql)[0] in prepared_names()
    assert run(sql, {"divisor": 5}) == [(2,)]
    assert run(sql, {"divisor": 2}) == [(5,)]


@postgresql_only
def test_statements_are_sent_whole_when_preparing_is_off(settings):
    settings.CONTRACTOR_DB_PREPARE = False
    sql = "SELECT %(value)s::int + 1"
    assert run(sql, {"value": 41}) == [(42,)]
    assert _prepared_forms(sql)[0] not in prepared_names()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_table_changed_much_since_its_statistics_is_analysed_once():
    """After a burst of inserts the table is analysed (the planner then counts its rows); right after, it is not."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE site_site")
    assert statistics_refresh(Site, changed=20, share=0) == []
    Site.objects.bulk_create(Site(name=f"burst-{index}") for index in range(40))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # the counters reach the shared statistics at once
    assert statistics_refresh(Site, changed=20, share=0) == ["site_site"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'site_site'")
        assert cursor.fetchone()[0] >= 40
    assert statistics_refresh(Site, changed=20, share=0) == []


def test_the_steppable_order_index_covers_the_steppable_states():
    """Migration foreman 0009 writes its index by hand (on both databases): it must name today's steppable states."""
    from importlib import import_module

    from contractor.foreman.choices import STEPPABLE_STATES

    migration = import_module("contractor.foreman.migrations.0009_job_steppable_order_index")
    assert migration.STEPPABLE == "(" + ", ".join(f"'{state}'" for state in STEPPABLE_STATES) + ")"
    with connection.cursor() as cursor:
        assert migration.NAME in connection.introspection.get_constraints(cursor, "foreman_job")
