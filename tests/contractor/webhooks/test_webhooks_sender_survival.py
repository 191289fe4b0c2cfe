"""The webhook sender (`manage.py webhooks`, a real process) survives its database connection being cut."""

import sys

import pytest

from contractor.webhooks.services import event_emit
from tests.e2e.conftest import Processes, drop_database_connections, wait_until
from tests.factories import StructureFactory

pytestmark = pytest.mark.slow


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
        assert drop_database_connections() >= 1
        event_emit(event="structure.created", obj=StructureFactory(hostname="after"))
        assert wait_until(lambda: len(receiver.accepted) == 2, 60), processes.logs()
        assert sender.poll() is None, processes.logs()
        assert "A database error interrupted webhook delivery" in (tmp_path / "webhooks.log").read_text()
    finally:
        processes.stop_all()
