"""Moving a site under another re-checks its address blocks against those along its new ancestry."""

import pytest
from django.core.exceptions import ValidationError

from contractor.site.services import site_update
from contractor.utilities.models import AddressBlock
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_move_that_brings_overlapping_blocks_into_one_ancestry_is_refused(make_block, site):
    """A rack holding 10.0.0.0/25 cannot move under a site holding 10.0.0.0/24 (nor under its sub-site)."""
    room = SiteFactory(name="room", parent=site)
    rack = SiteFactory(name="rack")
    shelf = SiteFactory(name="shelf", parent=rack)
    make_block(subnet="10.0.0.0/24", gateway=None, name="lab-net")
    make_block(subnet="10.0.0.0/25", gateway=None, site=shelf, name="shelf-net")
    with pytest.raises(ValidationError) as excinfo:
        site_update(site=rack, parent=room)
    message = excinfo.value.message_dict["parent"][0]
    assert "shelf-net" in message and "lab-net" in message and f"site {site.name}" in message
    rack.refresh_from_db()
    assert rack.parent is None


def test_a_move_between_unrelated_blocks_is_allowed(make_block, site):
    """Blocks that do not overlap, or that end up in sibling subtrees, do not stop a move."""
    rack_a = SiteFactory(name="rack-a", parent=site)
    rack_b = SiteFactory(name="rack-b")
    make_block(subnet="10.20.0.0/24", gateway=None, site=rack_a, name="a")
    make_block(subnet="10.20.0.0/24", gateway=None, site=rack_b, name="b")
    make_block(subnet="10.30.0.0/16", gateway=None, name="lab-net")
    site_update(site=rack_b, parent=site)
    rack_b.refresh_from_db()
    assert rack_b.parent == site and AddressBlock.objects.filter(subnet="10.20.0.0").count() == 2


def test_the_api_answers_a_refused_move_with_a_400_on_parent(make_block, site, infra_client):
    """PATCH /api/v1/sites/<name>/ with a parent that would overlap names `parent` and changes nothing."""
    other = SiteFactory(name="other")
    make_block(subnet="192.168.0.0/16", gateway=None, name="lab-net")
    make_block(subnet="192.168.4.0/24", gateway=None, site=other, name="other-net")
    response = infra_client.patch(f"/api/v1/sites/{other.name}/", {"parent": site.name}, format="json")
    assert response.status_code == 400, response.content
    assert "other-net" in response.json()["parent"][0]
    other.refresh_from_db()
    assert other.parent is None
