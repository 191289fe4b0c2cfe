"""Helpers for the subcontractor protocol tests: registered subcontractors, their clients, tasks on a site."""

import uuid

from rest_framework.test import APIClient

from contractor.foreman.models import Task
from contractor.foreman.tasks import subcontractor_register
from tests.contractor.foreman.factories import JobFactory
from tests.factories import ManualFoundationFactory


def registered(name, sites, modules=("ipmi", "iputils")):
    """A registered subcontractor and an API client that sends its token."""
    subcontractor, token = subcontractor_register(name=name, sites=[s.name for s in sites], modules=list(modules))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return subcontractor, client


def make_task(site, module="ipmi", function="power_on", **fields):
    """A pending task of a job on a foundation of `site`."""
    job = JobFactory(foundation=ManualFoundationFactory(site=site))
    return Task.objects.create(
        job=job, site=site, module=module, function=function, parameters={"n": 1}, cookie=uuid.uuid4().hex, **fields
    )


def poll(client, site, **modules):
    return client.post("/api/v1/subcontractor/poll/", {"site": site.name, "modules": modules}, format="json")
