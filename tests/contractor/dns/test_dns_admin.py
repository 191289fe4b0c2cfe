"""The zone admin pages load, validate and save for a superuser."""

import json

import pytest
from django.urls import reverse

from contractor.dns.models import Zone

pytestmark = pytest.mark.django_db

INLINE = {"sites-TOTAL_FORMS": "0", "sites-INITIAL_FORMS": "0", "sites-MIN_NUM_FORMS": "0", "sites-MAX_NUM_FORMS": "0"}


@pytest.fixture
def admin_web(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def form(**changes):
    data = {
        "name": "prod.example.com",
        "description": "",
        "contact": "",
        "ttl": "3600",
        "refresh": "86400",
        "retry": "7200",
        "expire": "3600000",
        "minimum": "3600",
        "name_servers": json.dumps(["ns.other.net"]),
        "glue": "{}",
        "extra_records": "[]",
    }
    return data | INLINE | changes


def test_pages_load(admin_web, zone_site):
    """The zone changelist (with search), add and change pages, and the zone file list render."""
    zone, _site = zone_site
    changelist = admin_web.get(reverse("admin:dns_zone_changelist") + "?q=prod")
    assert changelist.status_code == 200
    assert b"prod.example.com" in changelist.content
    assert admin_web.get(reverse("admin:dns_zone_add")).status_code == 200
    change = admin_web.get(reverse("admin:dns_zone_change", args=[zone.pk]))
    assert change.status_code == 200
    assert b"prod" in change.content
    assert admin_web.get(reverse("admin:dns_zonefile_changelist")).status_code == 200


def test_add_zone(admin_web):
    """Posting the add form creates the zone."""
    response = admin_web.post(reverse("admin:dns_zone_add"), form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Zone.objects.get().name_servers == ["ns.other.net"]


def test_bad_extra_record_is_a_form_error(admin_web):
    """An MX without a priority is shown on the extra_records field and nothing is saved."""
    records = json.dumps([{"type": "MX", "name": "@", "value": "mail"}])
    response = admin_web.post(reverse("admin:dns_zone_add"), form(extra_records=records))
    assert response.status_code == 200
    assert "priority" in str(response.context["adminform"].form.errors["extra_records"])
    assert not Zone.objects.exists()
