"""event_emit: events are stored with the change and fanned out to matching subscriptions."""

import pytest
from django.db import transaction

from contractor.webhooks.models import Delivery, Event
from contractor.webhooks.services import event_emit
from tests.factories import SiteFactory, StructureBluePrintFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_emit_stores_event_with_target_site_and_payload(structure):
    """The event names its target, site and data, and the payload carries its own id and kind."""
    event = event_emit(event="structure.built", obj=structure, data={"x": 1})
    assert (event.kind, event.target_kind, event.target_id) == ("structure.built", "structure", str(structure.pk))
    assert event.site == structure.site
    body = event.body()
    assert (body["id"], body["event"], body["site"]) == (event.pk, "structure.built", structure.site.name)
    assert body["data"] == {"x": 1}
    assert body["target"] == {"kind": "structure", "id": str(structure.pk)}


def test_foundation_events_name_the_locator(structure):
    """A foundation is the target by its locator, whatever its plugin type."""
    event = event_emit(event="foundation.built", obj=structure.foundation)
    assert (event.target_kind, event.target_id) == ("foundation", structure.foundation.locator)


def test_event_rolls_back_with_a_failed_transaction(structure, make_subscription):
    """An event emitted in a transaction that fails is gone, and so are its deliveries."""
    make_subscription()
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(event="structure.built", obj=structure)
        raise RuntimeError("the change failed")
    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_fan_out_honours_patterns_filters_and_expiry(structure, make_subscription):
    """Only active, unexpired subscriptions whose pattern, site, blueprint and target match get a delivery."""
    from datetime import timedelta

    from django.utils import timezone

    parent_bp = StructureBluePrintFactory(name="base")
    structure.blueprint.parent_edges.create(parent=parent_bp, position=0)
    wanted = {
        make_subscription(name="all-jobs-and-structures", events=["job.*", "structure.*"]),
        make_subscription(name="by-site", site=structure.site),
        make_subscription(name="by-parent-blueprint", blueprint=parent_bp),
        make_subscription(name="by-target", target_kind="structure", target_id=str(structure.pk)),
    }
    make_subscription(name="jobs-only", events=["job.*"])
    make_subscription(name="other-site", site=SiteFactory(name="elsewhere"))
    make_subscription(name="other-target", target_kind="structure", target_id="999999")
    make_subscription(name="inactive", active=False)
    make_subscription(name="expired", expires_at=timezone.now() - timedelta(seconds=1))
    event_emit(event="structure.created", obj=structure)
    assert {d.subscription for d in Delivery.objects.select_related("subscription")} == wanted


def test_site_filter_covers_the_sites_subtree(make_subscription):
    """A subscription for dc gets the events of dc/rack1/shelf; one for rack2 or an unrelated site does not."""
    from tests.factories import StructureFactory

    dc = SiteFactory(name="dc")
    rack = SiteFactory(name="rack1", parent=dc)
    shelf = SiteFactory(name="shelf", parent=rack)
    by_dc = make_subscription(name="dc", site=dc)
    by_rack = make_subscription(name="rack1", site=rack)
    by_sibling = make_subscription(name="rack2", site=SiteFactory(name="rack2", parent=dc))
    by_other = make_subscription(name="other", site=SiteFactory(name="other"))
    event = event_emit(event="structure.built", obj=StructureFactory(site=shelf, hostname="deep"))
    got = set(Delivery.objects.filter(event=event).values_list("subscription_id", flat=True))
    assert got == {by_dc.pk, by_rack.pk}
    assert by_sibling.pk not in got and by_other.pk not in got
    event = event_emit(event="structure.built", obj=StructureFactory(site=dc, hostname="top"))
    assert set(Delivery.objects.filter(event=event).values_list("subscription_id", flat=True)) == {by_dc.pk}
