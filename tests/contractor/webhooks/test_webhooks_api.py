"""The webhooks API: subscriptions, events, deliveries, hardware events and acknowledgements."""

import pytest
from django.contrib.auth.models import Permission

from contractor.webhooks.choices import AckState, DeliveryState
from contractor.webhooks.models import AckRequest, Delivery, Event, Subscription
from contractor.webhooks.services import ack_request_create, event_emit
from tests.factories import ManualFoundationFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_create_subscription_by_names(admin_client_api):
    """A subscription names its site by name; a generated secret is shown to those who may see secrets."""
    SiteFactory(name="prod-east")
    response = admin_client_api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "pager", "url": "https://pager.example.com/in", "events": ["job.*"], "site": "prod-east"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["site"] == "prod-east"
    assert len(response.data["secret"]) == 64
    assert Subscription.objects.get(name="pager").events == ["job.*"]


def test_subscription_validation_names_the_field(admin_client_api):
    """Empty events and half a target are refused, naming the field."""
    response = admin_client_api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "bad", "url": "https://x.example.com/", "events": [], "target_kind": "structure"},
        format="json",
    )
    assert response.status_code == 400
    assert "events" in response.data


def test_secret_hidden_from_users_without_secret_permission(make_user, make_subscription):
    """Without user.view_secrets the secret is never returned."""
    from rest_framework.test import APIClient

    user = make_user("watcher")
    user.user_permissions.add(Permission.objects.get(codename="view_subscription"))
    client = APIClient()
    client.force_authenticate(user)
    make_subscription(name="pager")
    response = client.get("/api/v1/webhook-subscriptions/pager/")
    assert response.status_code == 200
    assert "secret" not in response.data


def test_hardware_event_is_emitted_for_the_foundation(admin_client_api, make_subscription):
    """POST /hardware-events/ stores a hardware.<kind> event about the foundation, queued for subscribers."""
    foundation = ManualFoundationFactory(locator="rack2-u7")
    make_subscription(events=["hardware.*"])
    response = admin_client_api.post(
        "/api/v1/hardware-events/",
        {"foundation": "rack2-u7", "kind": "disk_failing", "data": {"disk": "sdb"}},
        format="json",
    )
    assert response.status_code == 201, response.data
    event = Event.objects.get()
    assert (event.kind, event.target_id, event.site) == ("hardware.disk_failing", "rack2-u7", foundation.site)
    assert response.data["body"]["data"] == {"disk": "sdb"}
    assert Delivery.objects.filter(event=event).count() == 1
    assert admin_client_api.get("/api/v1/hardware-events/").data["count"] == 1


def test_a_builder_reports_hardware_events_and_a_viewer_may_not(builder_client, viewer_client):
    """The people at the machines (builders) post hardware events; adding events is all it gives them."""
    ManualFoundationFactory(locator="rack2-u8")
    body = {"foundation": "rack2-u8", "kind": "psu_failed"}
    assert builder_client.post("/api/v1/hardware-events/", body, format="json").status_code == 201
    assert viewer_client.post("/api/v1/hardware-events/", body, format="json").status_code == 403
    assert list(Event.objects.values_list("kind", flat=True)) == ["hardware.psu_failed"]
    subscription = {"name": "x", "url": "https://x.example.com/", "events": ["*"]}
    assert builder_client.post("/api/v1/webhook-subscriptions/", subscription, format="json").status_code == 403


def test_hardware_event_for_unknown_foundation_is_refused(admin_client_api):
    """An unknown locator is a 400 naming `foundation`."""
    response = admin_client_api.post("/api/v1/hardware-events/", {"foundation": "nope", "kind": "x"}, format="json")
    assert response.status_code == 400 and "foundation" in response.data


def test_events_and_deliveries_are_listed_with_attempts(admin_client_api, make_subscription):
    """Events filter by kind; deliveries show their state and attempt log; retry queues a failed one."""
    structure = StructureFactory()
    make_subscription(name="ops")
    event_emit(event="structure.built", obj=structure)
    event_emit(event="job.done", obj=structure)
    assert admin_client_api.get("/api/v1/webhook-events/?kind__startswith=job.").data["count"] == 1
    delivery = Delivery.objects.first()
    delivery.state = DeliveryState.FAILED
    delivery.save()
    deliveries = admin_client_api.get("/api/v1/webhook-deliveries/?state=failed").data["results"]
    assert [(d["subscription"], d["kind"], d["attempt_log"]) for d in deliveries] == [("ops", "structure.built", [])]
    response = admin_client_api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/")
    assert response.status_code == 200 and response.data["state"] == "pending"


def test_viewer_cannot_retry(viewer_client, make_subscription):
    """Retrying needs webhooks.change_delivery."""
    make_subscription()
    event_emit(event="structure.built", obj=StructureFactory())
    delivery = Delivery.objects.get()
    assert viewer_client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/retry/").status_code == 403


def test_ack_round_trip(anon_client, make_subscription):
    """The event carries an ack URL; a POST there (with the token as credential) acknowledges it, once."""
    make_subscription(events=["hardware.*"])
    foundation = ManualFoundationFactory(locator="rack2-u7")
    ack = ack_request_create(
        event="hardware.disk_replace", obj=foundation, data={"disk": "sdb"}, ack_url_base="https://c.example.com"
    )
    body = ack.event.body()
    token = body["data"]["ack"]["token"]
    assert body["data"]["ack"]["url"] == f"https://c.example.com/api/v1/webhook-acks/{token}/"
    url = f"/api/v1/webhook-acks/{token}/"
    assert anon_client.get(url).data["state"] == AckState.WAITING
    response = anon_client.post(url, {"data": {"drained": True}}, format="json")
    assert response.status_code == 200 and response.data["state"] == AckState.ACKED
    anon_client.post(url, {"data": {"second": True}}, format="json")
    assert AckRequest.objects.get().ack_data == {"drained": True}


def test_the_ack_token_is_stored_only_as_its_hash(anon_client, make_subscription):
    """No row holds the token: the request keeps its sha256, the event's payload only the URL's base; the
    delivery's body (what the receiver gets, signed) has it, and the token opens its request and no other."""
    from django.db import connection

    from contractor.webhooks.delivery import event_body
    from contractor.webhooks.models import ack_token_hash

    make_subscription(events=["hardware.*"])
    first = ack_request_create(event="hardware.disk_replace", obj=ManualFoundationFactory(), ack_url_base="https://c")
    second = ack_request_create(event="hardware.disk_replace", obj=ManualFoundationFactory(), ack_url_base="https://c")
    token = first.event.body()["data"]["ack"]["token"]
    assert len(token) == 64 and token != second.event.body()["data"]["ack"]["token"]
    assert token.encode() in event_body(Delivery.objects.filter(event=first.event).get().event)
    assert AckRequest.objects.get(pk=first.pk).token_hash == ack_token_hash(token) != token
    with connection.cursor() as cursor:
        for table in ("webhooks_ackrequest", "webhooks_event", "webhooks_delivery"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            assert token not in repr(cursor.fetchall()), table
    assert anon_client.get(f"/api/v1/webhook-acks/{token}/").data["event"]["id"] == first.event.pk
    assert anon_client.get(f"/api/v1/webhook-acks/{ack_token_hash(token)}/").status_code == 404, "not the hash"
    assert anon_client.post(f"/api/v1/webhook-acks/{token}/", {}, format="json").status_code == 200
    assert AckRequest.objects.get(pk=second.pk).state == AckState.WAITING


def test_ack_with_unknown_token(anon_client):
    """An unknown token is 404 on GET and 400 naming `token` on POST."""
    assert anon_client.get("/api/v1/webhook-acks/nope/").status_code == 404
    response = anon_client.post("/api/v1/webhook-acks/nope/", {}, format="json")
    assert response.status_code == 400 and "token" in response.data


@pytest.mark.parametrize("path", ["webhook-events", "webhook-deliveries", "webhook-subscriptions"])
def test_list_query_budget(admin_client_api, make_subscription, django_assert_max_num_queries, path):
    """Listing stays within a fixed number of queries at 3 and at 30 rows."""
    structure = StructureFactory()
    for rows in (3, 30):
        while Delivery.objects.count() < rows:
            make_subscription()
            event_emit(event="structure.built", obj=structure, site=structure.site)
        with django_assert_max_num_queries(8):
            response = admin_client_api.get(f"/api/v1/{path}/?limit=100")
        assert response.status_code == 200


def test_hardware_event_kind_is_checked(admin_client_api):
    """A kind with spaces or slashes is refused naming `kind`; `hardware.` is added when missing."""
    ManualFoundationFactory(locator="n1")
    response = admin_client_api.post(
        "/api/v1/hardware-events/", {"foundation": "n1", "kind": "disk/bad"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.data
    response = admin_client_api.post(
        "/api/v1/hardware-events/", {"foundation": "n1", "kind": "hardware.psu_failed"}, format="json"
    )
    assert response.data["kind"] == "hardware.psu_failed"


def test_listing_acks_needs_permission(make_user, admin_client_api):
    """Anyone with a token sees its ack, but listing every ack needs webhooks.view_ackrequest."""
    from rest_framework.test import APIClient

    ack_request_create(event="hardware.disk_replace", obj=ManualFoundationFactory())
    client = APIClient()
    client.force_authenticate(make_user("nobody"))
    assert client.get("/api/v1/webhook-acks/").status_code == 403
    assert admin_client_api.get("/api/v1/webhook-acks/").data["count"] == 1
