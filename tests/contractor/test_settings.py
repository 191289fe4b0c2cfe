"""SQLite settings for several processes on one file: WAL, a busy timeout, IMMEDIATE transactions, a file test DB."""

import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from contractor.dburl import parse_database_url
from contractor.user.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip(f"checks the SQLite settings; this run is on {connection.vendor} (plain ./scripts/test runs it)")


def test_the_sqlite_test_database_is_a_wal_file_others_can_open(on_sqlite):
    """The test DB is a file with an absolute path (what the e2e processes get), in WAL journal mode."""
    name = connection.settings_dict["NAME"]
    assert not connection.is_in_memory_db() and Path(name).is_absolute() and Path(name).is_file()
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert parse_database_url(f"sqlite:///{name}", Path("/elsewhere"))["NAME"] == name


def test_an_atomic_block_holds_the_write_lock_from_its_start(on_sqlite):
    """BEGIN IMMEDIATE: while another connection is in a (so far read-only) atomic block, no one else may write."""
    User.objects.create(username="someone")
    inside, leave = threading.Event(), threading.Event()

    def reader():
        try:
            with transaction.atomic():
                User.objects.count()
                inside.set()
                leave.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert inside.wait(30)
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    finally:
        leave.set()
        thread.join(30)
    with transaction.atomic():  # once it ended, this connection writes at once
        User.objects.create(username="someone-else")
    assert User.objects.count() == 2


def test_postgresql_connections_are_kept_and_health_checked(on_postgres):
    """On PostgreSQL a process keeps its connection between requests (60 s unless configured) and checks it first."""
    assert connection.settings_dict["CONN_MAX_AGE"] == 60
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
