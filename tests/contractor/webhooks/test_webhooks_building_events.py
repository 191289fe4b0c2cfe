"""The building services emit foundation.* and structure.* events in their own transaction."""

import pytest
from django.core.exceptions import ValidationError

from contractor.building import services
from contractor.webhooks.models import Event
from tests.factories import FoundationBluePrintFactory, SiteFactory, StructureBluePrintFactory

pytestmark = pytest.mark.django_db


def kinds():
    return list(Event.objects.values_list("kind", "target_id"))


def test_lifecycle_of_a_foundation_and_its_structure_emits_events():
    """Create, locate, build and destroy of a foundation and a structure each emit one event about it, in order."""
    site = SiteFactory(name="lab")
    fbp = FoundationBluePrintFactory(name="server", foundation_types=["manual"])
    sbp = StructureBluePrintFactory(name="web", foundation_blueprints=[fbp])
    foundation = services.foundation_create(foundation_type="manual", locator="rack1-u1", site=site, blueprint=fbp)
    structure = services.structure_create(hostname="web1", site=site, blueprint=sbp, foundation=foundation)
    services.foundation_locate(foundation=foundation)
    services.foundation_set_built(foundation=foundation)
    services.structure_set_built(structure=structure)
    services.structure_set_destroyed(structure=structure)
    services.foundation_set_destroyed(foundation=foundation)
    sid = str(structure.pk)
    assert kinds() == [
        ("foundation.created", "rack1-u1"),
        ("structure.created", sid),
        ("foundation.located", "rack1-u1"),
        ("foundation.built", "rack1-u1"),
        ("structure.built", sid),
        ("structure.destroyed", sid),
        ("foundation.destroyed", "rack1-u1"),
    ]
    assert Event.objects.get(kind="structure.built").body()["data"] == {"hostname": "web1", "foundation": "rack1-u1"}
    assert Event.objects.get(kind="foundation.created").site == site


def test_a_refused_change_emits_nothing():
    """When the service refuses the change, no event is left behind."""
    site = SiteFactory(name="lab")
    fbp = FoundationBluePrintFactory(name="server", foundation_types=["manual"])
    foundation = services.foundation_create(foundation_type="manual", locator="rack1-u1", site=site, blueprint=fbp)
    with pytest.raises(ValidationError):
        services.foundation_set_built(foundation=foundation)  # still planned, not located
    assert kinds() == [("foundation.created", "rack1-u1")]
