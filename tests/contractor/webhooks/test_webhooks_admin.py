"""The webhooks admin pages load for a superuser, with the delivery attempt log inline."""

import pytest
from django.urls import reverse

from contractor.webhooks.models import Delivery, DeliveryAttempt
from contractor.webhooks.services import ack_request_create, event_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def test_changelists_and_change_pages_load(admin_web, structure, make_subscription):
    """Every webhooks model has a changelist and change page; a delivery shows its attempts."""
    subscription = make_subscription(name="pager")
    event = event_emit(event="structure.built", obj=structure)
    ack = ack_request_create(event="hardware.disk_replace", obj=structure.foundation)
    delivery = Delivery.objects.get(event=event)
    DeliveryAttempt.objects.create(delivery=delivery, status_code=503, response_time_ms=12, error="HTTP 503")
    for model, obj in (("subscription", subscription), ("event", event), ("delivery", delivery), ("ackrequest", ack)):
        assert admin_web.get(reverse(f"admin:webhooks_{model}_changelist")).status_code == 200, model
        page = admin_web.get(reverse(f"admin:webhooks_{model}_change", args=[obj.pk]))
        assert page.status_code == 200, model
    assert b"HTTP 503" in admin_web.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).content
    assert b"pager" in admin_web.get(reverse("admin:webhooks_subscription_changelist") + "?q=pag").content
