"""Fixtures for the discovery tests: a site and a foundation blueprint without hardware requirements."""

import pytest

from tests.factories import FoundationBluePrintFactory, SiteFactory


@pytest.fixture
def site(db):
    return SiteFactory(name="prod-east")


@pytest.fixture
def fbp(db):
    return FoundationBluePrintFactory(name="any-server", foundation_types=["manual", "ipmi"])
