"""Fixtures for the webhooks tests: subscriptions and a structure to emit events about."""

import factory
import pytest

from contractor.webhooks.models import Subscription
from tests.factories import StructureFactory


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    name = factory.Sequence(lambda n: f"hook-{n}")
    url = "http://127.0.0.1:9/hook"
    events = factory.LazyFunction(lambda: ["*"])
    secret = "s3cret"


@pytest.fixture
def make_subscription(db):
    return SubscriptionFactory


@pytest.fixture
def structure(db):
    return StructureFactory(hostname="web1")
