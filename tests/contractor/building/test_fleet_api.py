"""The fleet questions over /api/v1/fleet-questions/ and `manage.py fleet`, with their query budgets."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from test_fleet import Fleet

from tests.factories import ManualFoundationFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    return Fleet()


def test_counts_endpoint(viewer_client, lab):
    """GET /fleet-questions/counts/?site= answers for the site and its sub-sites."""
    response = viewer_client.get("/api/v1/fleet-questions/counts/?site=prod")
    assert response.status_code == 200
    assert response.data["site"] == "prod"
    assert {row["site"] for row in response.data["sites"]} == {"prod", "prod-east", "prod-east-r1", "prod-west"}
    assert response.data["foundations"] == {"manual": {"built": 3, "located": 1, "planned": 2}}


def test_impact_endpoint_by_locator_and_by_structure(viewer_client, lab):
    """GET /fleet-questions/impact/?foundation=<locator> or ?structure=<id> returns the tree."""
    response = viewer_client.get("/api/v1/fleet-questions/impact/?foundation=db1-hw")
    assert response.status_code == 200
    assert response.data["affected"]["structure"] == 3
    response = viewer_client.get(f"/api/v1/fleet-questions/impact/?structure={lab.s['host2'].pk}")
    assert response.data["root"]["children"][0]["id"] == "vm-cluster"


def test_resources_endpoint(viewer_client, lab):
    """GET /fleet-questions/resources/?blueprint= or ?complex= sums the resources."""
    cluster = viewer_client.get("/api/v1/fleet-questions/resources/?complex=vm-cluster").data
    assert cluster["total"]["memory_mb"] == 131072
    assert viewer_client.get("/api/v1/fleet-questions/resources/?blueprint=base-linux").data["count"] == 5


@pytest.mark.parametrize(
    "query, field",
    [
        ("impact/", "foundation"),
        ("impact/?foundation=a&structure=1", "foundation"),
        ("impact/?foundation=nope", "foundation"),
        ("impact/?structure=abc", "structure"),
        ("resources/?complex=nope", "complex"),
        ("counts/?site=nope", "site"),
    ],
)
def test_bad_questions_name_the_parameter(viewer_client, lab, query, field):
    """A missing, doubled or unknown subject is a 400 naming the parameter."""
    response = viewer_client.get(f"/api/v1/fleet-questions/{query}")
    assert response.status_code == 400 and field in response.data


def test_fleet_needs_view_permission(anon_client, make_user):
    """Anonymous users and users without view permissions are refused."""
    from rest_framework.test import APIClient

    assert anon_client.get("/api/v1/fleet-questions/counts/").status_code in (401, 403)
    client = APIClient()
    client.force_authenticate(make_user("nobody"))
    assert client.get("/api/v1/fleet-questions/counts/").status_code == 403


def grow(lab, n):
    for i in range(n):
        foundation = ManualFoundationFactory(locator=f"extra-{n}-{i}", site=lab.east, blueprint=lab.server)
        StructureFactory(hostname=f"extra-{n}-{i}", site=lab.east, blueprint=lab.web, foundation=foundation)
        lab.cluster.memberships.create(structure=foundation.structure)


@pytest.mark.parametrize(
    "path",
    ["counts/", "counts/?site=prod", "impact/?foundation=db1-hw", "resources/?blueprint=base-linux"]
    + ["resources/?complex=vm-cluster", "impact/?foundation=host1-hw"],
)
def test_query_budget_does_not_grow_with_the_fleet(viewer_client, lab, django_assert_max_num_queries, path):
    """Each question takes the same bounded number of queries with 5 or 40 more structures."""
    for extra in (5, 35):
        grow(lab, extra)
        with django_assert_max_num_queries(20):
            assert viewer_client.get(f"/api/v1/fleet-questions/{path}").status_code == 200


def test_fleet_command(lab):
    """`manage.py fleet counts|impact|resources` prints the same answers as JSON."""
    out = StringIO()
    call_command("fleet", "impact", "--foundation", "db1-hw", stdout=out)
    assert json.loads(out.getvalue())["affected"]["dependency"] == 2
    out = StringIO()
    call_command("fleet", "resources", "--complex", "vm-cluster", stdout=out)
    assert json.loads(out.getvalue())["total"]["cpu_count"] == 8
    out = StringIO()
    call_command("fleet", "counts", "--site", "lab", stdout=out)
    assert [row["site"] for row in json.loads(out.getvalue())["sites"]] == ["lab"]
    with pytest.raises(CommandError, match="nope"):
        call_command("fleet", "impact", "--foundation", "nope")
