"""The site admin pages load and save for a superuser."""

import pytest
from django.urls import reverse

from contractor.site.models import Site
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def test_changelist_add_and_change_pages_load(admin_web):
    """The site changelist (with search and parent filter), add and change pages render."""
    root = SiteFactory(name="root")
    SiteFactory(name="east", parent=root, description="east coast")
    changelist = admin_web.get(reverse("admin:site_site_changelist") + "?q=coast")
    assert changelist.status_code == 200
    assert b"east" in changelist.content
    assert admin_web.get(reverse("admin:site_site_changelist") + f"?parent__id__exact={root.pk}").status_code == 200
    assert admin_web.get(reverse("admin:site_site_add")).status_code == 200
    assert admin_web.get(reverse("admin:site_site_change", args=[root.pk])).status_code == 200


def test_admin_refuses_a_parent_cycle(admin_web):
    """Saving a site under its own child shows the cycle as a form error and changes nothing."""
    root = SiteFactory(name="root")
    child = SiteFactory(name="child", parent=root)
    response = admin_web.post(
        reverse("admin:site_site_change", args=[root.pk]),
        {"name": "root", "description": "", "parent": child.pk, "config_values": "{}"},
    )
    assert response.status_code == 200
    assert "cycle" in str(response.context["adminform"].form.errors["parent"])
    root.refresh_from_db()
    assert root.parent is None
    assert Site.objects.count() == 2
