"""Fixtures shared by the whole suite: users in each operator role and API clients for them."""

import functools
import os
import secrets

import pytest
from django.db import connection

from contractor.user import roles

# The processes tests start (manage.py, gunicorn) refuse the development secret key with DEBUG off
# (contractor/startup.py): they inherit a random one, which this process uses too (pytest_sessionstart).
os.environ.setdefault("CONTRACTOR_SECRET_KEY", secrets.token_urlsafe(50))
TEST_PASSWORD = "pw-for-tests"


@functools.cache
def _password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(TEST_PASSWORD)


@pytest.fixture
def make_user(db, django_user_model):
    """Make a user holding one operator role (or none); superuser=True for an all-powerful one."""
    from django.contrib.auth.models import Group

    from contractor.user.services import roles_sync

    def make(username="operator", role=None, superuser=False):
        if role and not Group.objects.filter(name=role).exists():
            roles_sync()
        # The password's hash is made once: hashing it (PBKDF2, a million rounds) for each user took half a second.
        user = django_user_model.objects.create(
            username=username, password=_password_hash(), is_superuser=superuser, is_staff=superuser
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Failed-authentication counts (kept in the cache, per client address) do not carry from test to test."""
    from django.core.cache import cache

    cache.clear()


def _client_for(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anon_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def admin_client_api(make_user):
    return _client_for(make_user("root", superuser=True))


@pytest.fixture
def viewer_client(make_user):
    return _client_for(make_user("viewer", roles.VIEWER))


@pytest.fixture
def builder_client(make_user):
    return _client_for(make_user("builder", roles.BUILDER))


@pytest.fixture
def infra_client(make_user):
    return _client_for(make_user("infra", roles.INFRA_ADMIN))


def pytest_report_header(config):
    return f"contractor database: {connection.vendor} ({connection.settings_dict['NAME']})"


def pytest_sessionstart(session):
    from django.conf import settings

    settings.SECRET_KEY = os.environ["CONTRACTOR_SECRET_KEY"]
    if connection.vendor == "postgresql":
        _flush_only_filled_tables()
    # CI sets CONTRACTOR_REQUIRE_POSTGRES so a mis-set database URL cannot quietly skip the PostgreSQL tests.
    if os.environ.get("CONTRACTOR_REQUIRE_POSTGRES") and connection.vendor != "postgresql":
        raise pytest.UsageError("CONTRACTOR_REQUIRE_POSTGRES is set but the database is " + connection.vendor)


def pytest_unconfigure(config):
    # A live-server thread may still hold the SQLite test database open when it is deleted, which leaves
    # its -wal and -shm files behind; remove them once the run is over.
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and database.get("TEST", {}).get("NAME"):
        for suffix in ("-wal", "-shm"):
            leftover = database["TEST"]["NAME"] + suffix
            if not os.path.exists(database["TEST"]["NAME"]) and os.path.exists(leftover):
                os.remove(leftover)


# Left by a flush (transactional tests): post_migrate makes these again, the same rows, each time.
_FLUSH_KEEPS = frozenset({"django_content_type", "auth_permission"})


def _flush_only_filled_tables():
    """On PostgreSQL, the flush after each transactional test empties only the tables that hold rows, with DELETE, and
    keeps the content types and permissions that post_migrate would make again. TRUNCATE of every table and then making
    those rows anew took 1-3 s a test; TRUNCATE of the filled ones still took about 0.45 s (its CASCADE reaches every
    table referring to them, and each truncated table and index gets new files), where deleting their few rows takes
    milliseconds (every foreign key is deferred, so the order does not matter). What a test wrote is still all gone;
    sequences are reset (by TRUNCATE, as before) only if asked."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate_all = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate_all(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        names = [table for table in tables if table not in _FLUSH_KEEPS]
        quote = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(name)})" for name in names), names
            )
            filled = [row[0] for row in cursor.fetchall()]
        return [f"DELETE FROM {quote(name)};" for name in filled]

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture
def on_postgres():
    """Skip (saying why) unless the suite runs on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set CONTRACTOR_DATABASE_URL=postgres://...); SQLite serialises writers")


@pytest.fixture
def second_connection(on_postgres):
    """Another session on the test database, outside Django and in autocommit: to see what the test's own
    connection holds (its locks, its notices) as another process would, or to act on it."""
    import psycopg2

    settings = connection.settings_dict
    other = psycopg2.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or "127.0.0.1",
                             port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None)  # fmt: skip
    other.autocommit = True
    yield other
    other.close()
