"""Migration 0002: ack requests made before tokens were hashed keep working by the token, which no row holds."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = [("webhooks", "0001_initial")], [("webhooks", "0002_ackrequest_token_hash")]


@pytest.mark.django_db(transaction=True)
def test_existing_tokens_become_hashes_and_still_acknowledge(anon_client):
    """A request's token becomes its sha256 (the receiver's token still acknowledges) and its event's stored
    payload no longer holds the token."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    url = "https://c/api/v1/webhook-acks/old-token/"
    event = old.get_model("webhooks", "Event").objects.create(
        kind="disk.replace", payload={"data": {"ack": {"token": "old-token", "url": url}}}
    )
    old.get_model("webhooks", "AckRequest").objects.create(event=event, token="old-token")
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from contractor.webhooks.models import AckRequest

    ack = AckRequest.objects.select_related("event").get()
    assert ack.token_hash == hashlib.sha256(b"old-token").hexdigest()
    assert "old-token" not in repr(ack.event.payload)
    response = anon_client.post("/api/v1/webhook-acks/old-token/", {"data": {"done": True}}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "acked"
