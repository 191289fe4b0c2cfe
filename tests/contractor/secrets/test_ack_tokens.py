"""Webhook acknowledgement tokens are shown only to users who may acknowledge (webhooks.change_ackrequest) and to
whoever already holds the token."""

import pytest
from django.urls import reverse

from contractor.user import roles
from contractor.webhooks.models import ack_token
from contractor.webhooks.services import ack_request_create
from tests.factories import ManualFoundationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ack():
    foundation = ManualFoundationFactory(locator="rack2-u7")
    return ack_request_create(event="hardware.disk_replace", obj=foundation, ack_url_base="https://c.example.com")


def test_viewers_and_builders_never_get_the_token_from_the_api(viewer_client, builder_client, ack):
    """Event lists and details, hardware events and the ack list hide the token, in `token` and in the URL."""
    token = ack_token(ack.event).encode()
    for client in (viewer_client, builder_client):
        for url in ("/api/v1/webhook-events/", f"/api/v1/webhook-events/{ack.event_id}/", "/api/v1/hardware-events/",
                    "/api/v1/webhook-acks/"):  # fmt: skip
            response = client.get(url)
            assert response.status_code == 200, url
            assert token not in response.content, url
    shown = viewer_client.get(f"/api/v1/webhook-events/{ack.event_id}/").json()["body"]["data"]["ack"]
    assert shown == {"token": "********", "url": "https://c.example.com/api/v1/webhook-acks/********/"}


def test_those_who_may_acknowledge_and_the_token_holder_see_it(infra_client, anon_client, ack):
    """An infrastructure admin sees the token; the ack's own URL shows the event it was reached by."""
    assert infra_client.get(f"/api/v1/webhook-events/{ack.event_id}/").json()["body"]["data"]["ack"][
        "token"
    ] == ack_token(ack.event)
    assert ack_token(ack.event).encode() in anon_client.get(f"/api/v1/webhook-acks/{ack_token(ack.event)}/").content


def test_the_admin_hides_the_token_from_a_viewer(staff_login, ack):
    """The event's and the ack request's admin pages show a viewer no token."""
    client = staff_login("viewer", roles.VIEWER)
    for page in (
        reverse("admin:webhooks_event_change", args=[ack.event_id]),
        reverse("admin:webhooks_ackrequest_change", args=[ack.pk]),
        reverse("admin:webhooks_ackrequest_changelist"),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert ack_token(ack.event).encode() not in response.content, page


def test_event_data_is_redacted_for_viewers(viewer_client, infra_client):
    """A located foundation's id_map in an event shows its secrets only to users with user.view_secrets."""
    from contractor.building.services import foundation_locate

    foundation = ManualFoundationFactory(locator="rack3-u1")
    foundation_locate(foundation=foundation, id_map={"cpu_count": 2, "bmc_password": "ev-pw-1"})
    assert b"ev-pw-1" not in viewer_client.get("/api/v1/webhook-events/").content
    assert b"ev-pw-1" in infra_client.get("/api/v1/webhook-events/").content


def test_a_viewer_never_sees_a_subscription_secret_in_the_admin(staff_login):
    """The subscription's HMAC key is left out of a viewer's admin page."""
    from contractor.webhooks.services import subscription_create

    subscription = subscription_create(name="s", url="https://r.example.com/", events=["*"], secret="hmac-key-77")
    client = staff_login("viewer", roles.VIEWER)
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk]))
    assert page.status_code == 200 and b"hmac-key-77" not in page.content
