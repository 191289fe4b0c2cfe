"""Fixtures for the Redfish plugin tests: Redfish foundations on a blueprint for the `redfish` type."""

import factory
import pytest

from plugins.redfish.models import RedfishFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory


class RedfishFoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RedfishFoundation

    locator = factory.Sequence(lambda n: f"redfish-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    blueprint = factory.SubFactory(FoundationBluePrintFactory, foundation_types=["redfish"])
    bmc_url = "https://10.0.0.5"
    bmc_username = "admin"
    bmc_password = "secret"


@pytest.fixture
def redfish_foundation(db):
    return RedfishFoundationFactory
