"""Fixtures for the IPMI plugin tests: IPMI foundations on an `ipmi-server`-like blueprint."""

import factory
import pytest

from plugins.ipmi.models import IPMIFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory


class IPMIFoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPMIFoundation

    locator = factory.Sequence(lambda n: f"ipmi-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    blueprint = factory.SubFactory(FoundationBluePrintFactory, foundation_types=["ipmi"])
    bmc_address = "127.0.0.1"
    bmc_port = 9623
    bmc_username = "admin"
    bmc_password = "secret"


@pytest.fixture
def ipmi_foundation(db):
    return IPMIFoundationFactory
