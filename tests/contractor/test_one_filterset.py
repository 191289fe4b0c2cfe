"""Every list of a model is filtered by its one FilterSet: in the API, for a plugin's subtype, in the console."""

import pytest
from django.test import Client

from contractor.foreman.choices import JobState
from contractor.foreman.services import job_create, job_pause
from contractor.user import roles
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory, SiteFactory
from tests.plugins.libvirt.factories import LibvirtComplexFactory

pytestmark = pytest.mark.django_db


def test_libvirt_complexes_filter_as_every_complex(viewer_client):
    """/libvirt-complexes/ takes the complexes' filters (?site= by name, ?name=), not a narrower set of its own."""
    LibvirtComplexFactory(name="vmc")
    LibvirtComplexFactory(name="other", site=SiteFactory(name="dc2"))
    by_site = viewer_client.get("/api/v1/libvirt-complexes/", {"site": "dc2"}).data["results"]
    assert [row["name"] for row in by_site] == ["other"]
    by_name = viewer_client.get("/api/v1/libvirt-complexes/", {"name": "vmc"}).data["results"]
    assert [row["name"] for row in by_name] == ["vmc"]


@pytest.fixture
def two_jobs():
    """Two manual foundations with a create job each: rack1-u01's paused, rack1-u02's as it was created."""
    blueprint = FoundationBluePrintFactory(name="rackmount")
    ScriptFactory(blueprint=blueprint, name="create", script="pass\n")
    site = SiteFactory(name="lab")
    first = job_create(
        target=ManualFoundationFactory(locator="rack1-u01", site=site, blueprint=blueprint), script_name="create"
    )
    job_pause(job=first)
    second = ManualFoundationFactory(locator="rack1-u02", site=site, blueprint=blueprint)
    return job_create(target=second, script_name="create")


def test_the_console_job_list_filters_as_the_jobs_api(make_user, two_jobs):
    """/console/jobs/ takes the jobs API's filters: ?state= (repeatable) and ?foundation= by locator."""
    client = Client()
    client.force_login(make_user("viewer", roles.VIEWER))
    paused = client.get("/console/jobs/", {"state": JobState.PAUSED}).content.decode()
    assert "rack1-u01" in paused and "rack1-u02" not in paused
    assert two_jobs.state != JobState.PAUSED
    both = client.get("/console/jobs/", {"state": [JobState.PAUSED, two_jobs.state]}).content.decode()
    assert "rack1-u01" in both and "rack1-u02" in both
    one = client.get("/console/jobs/", {"foundation": "rack1-u02"}).content.decode()
    assert "rack1-u02" in one and "rack1-u01" not in one
