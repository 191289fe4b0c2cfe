"""Fixtures for the building tests: a small site with a foundation blueprint that allows manual foundations."""

import pytest

from tests.factories import FoundationBluePrintFactory, SiteFactory, StructureBluePrintFactory


@pytest.fixture
def site(db):
    return SiteFactory(name="prod-east")


@pytest.fixture
def fbp(db):
    return FoundationBluePrintFactory(name="manual-server", foundation_types=["manual"])


@pytest.fixture
def sbp(fbp):
    return StructureBluePrintFactory(name="web", foundation_blueprints=[fbp])
