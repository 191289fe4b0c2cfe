"""The webhook sender (`manage.py webhooks`, a real process) survives its database connection being cut."""

import sys

import pytest
from django.db import connection

from contractor.webhooks.services import event_emit
from tests.e2e.conftest import Processes, wait_until
from tests.factories import StructureFactory

pytestmark = pytest.mark.slow


def _cut_other_connections() -> int:
    """pg_terminate_backend for every other client connection to this test database (the sender's): only ours."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def test_the_sender_survives_a_dropped_database_connection_and_delivers(
    transactional_db, on_postgres, tmp_path, make_subscription, make_receiver
):
    """Its backend is terminated while it runs: it logs the error, reconnects after a pause and delivers the next
    event, still the same process."""
    receiver = make_receiver()
    make_subscription(url=receiver.url)
    processes = Processes(tmp_path)
    try:
        sender = processes.start("webhooks", [sys.executable, "manage.py", "webhooks", "--poll", "0.2"])
        event_emit(event="structure.created", obj=StructureFactory(hostname="before"))
        assert wait_until(lambda: len(receiver.accepted) == 1, 60), processes.logs()
        assert _cut_other_connections() >= 1
        event_emit(event="structure.created", obj=StructureFactory(hostname="after"))
        assert wait_until(lambda: len(receiver.accepted) == 2, 60), processes.logs()
        assert sender.poll() is None, processes.logs()
        assert "A database error interrupted webhook delivery" in (tmp_path / "webhooks.log").read_text()
    finally:
        processes.stop_all()
