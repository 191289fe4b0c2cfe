"""The /api/v1/sites/ collection: CRUD, filters, permissions, errors and query budgets."""

import pytest

from contractor.site.models import Site
from tests.factories import SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sites/"


def test_create_site_with_parent_by_name(admin_client_api):
    """POST creates a site whose parent is given by name, and the response refers to it by name."""
    SiteFactory(name="root")
    response = admin_client_api.post(
        URL, {"name": "prod-east", "parent": "root", "config_values": {"dns": "1.1.1.1"}}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["parent"] == "root"
    assert Site.objects.get(name="prod-east").config_values == {"dns": "1.1.1.1"}


def test_detail_by_name_lists_children(admin_client_api):
    """A site is addressed by its name (dots allowed), and shows its children's names."""
    root = SiteFactory(name="dc.one")
    SiteFactory(name="rack-b", parent=root)
    SiteFactory(name="rack-a", parent=root)
    response = admin_client_api.get(f"{URL}dc.one/")
    assert response.status_code == 200
    assert response.data["children"] == ["rack-a", "rack-b"]
    assert response.data["parent"] is None


def test_update_and_partial_update(admin_client_api):
    """PUT and PATCH change a site; the parent can be cleared with null."""
    root = SiteFactory(name="root")
    SiteFactory(name="leaf", parent=root)
    response = admin_client_api.patch(f"{URL}leaf/", {"description": "changed"}, format="json")
    assert response.status_code == 200
    assert response.data["description"] == "changed"
    assert response.data["parent"] == "root"
    response = admin_client_api.put(f"{URL}leaf/", {"name": "leaf2", "parent": None}, format="json")
    assert response.status_code == 200, response.data
    assert Site.objects.get(name="leaf2").parent is None


def test_delete_unused_site(admin_client_api):
    """DELETE removes an unused site."""
    SiteFactory(name="old")
    assert admin_client_api.delete(f"{URL}old/").status_code == 204
    assert not Site.objects.filter(name="old").exists()


def test_delete_site_in_use_is_a_conflict(admin_client_api):
    """Deleting a site that still holds structures is a 409 naming them, not a 500."""
    structure = StructureFactory(hostname="dns1")
    response = admin_client_api.delete(f"{URL}{structure.site.name}/")
    assert response.status_code == 409
    assert "dns1" in response.data["non_field_errors"][0]


def test_cycle_is_a_400_on_parent(admin_client_api):
    """Making a child the parent of its own ancestor is refused with an error on `parent`."""
    root = SiteFactory(name="root")
    SiteFactory(name="child", parent=root)
    response = admin_client_api.patch(f"{URL}root/", {"parent": "child"}, format="json")
    assert response.status_code == 400
    assert "cycle" in str(response.data["parent"])


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "bad name"}, "name"),
        ({"name": "ok", "parent": "missing"}, "parent"),
        ({"name": "ok", "config_values": {"bad key": 1}}, "config_values"),
        ({"name": "ok", "config_values": [1, 2]}, "config_values"),
    ],
)
def test_validation_errors_name_the_field(admin_client_api, payload, field):
    """Invalid input is a 400 whose body names the offending field."""
    response = admin_client_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.data


def test_duplicate_name_is_a_400_on_name(admin_client_api):
    """Site names are unique."""
    SiteFactory(name="dup")
    response = admin_client_api.post(URL, {"name": "dup"}, format="json")
    assert response.status_code == 400
    assert "name" in response.data


def test_filters_by_name_parent_root_and_search(admin_client_api):
    """`name`, `parent`, `root` and `search` narrow the list."""
    root = SiteFactory(name="root", description="headquarters")
    SiteFactory(name="east", parent=root)
    SiteFactory(name="west", parent=root)

    def names(query):
        return [row["name"] for row in admin_client_api.get(URL + query).data["results"]]

    assert names("?name=east") == ["east"]
    assert names("?parent=root") == ["east", "west"]
    assert names("?root=true") == ["root"]
    assert names("?search=headquart") == ["root"]
    assert names("?name__icontains=ES") == ["west"]


def test_list_is_paginated_with_limit_offset(admin_client_api):
    """Lists page with limit and offset."""
    for index in range(3):
        SiteFactory(name=f"s{index}")
    data = admin_client_api.get(URL + "?limit=2&offset=1").data
    assert data["count"] == 3
    assert [row["name"] for row in data["results"]] == ["s1", "s2"]


def test_anonymous_is_refused(anon_client):
    """Without credentials nothing is readable."""
    SiteFactory(name="x")
    assert anon_client.get(URL).status_code in (401, 403)
    assert anon_client.post(URL, {"name": "y"}, format="json").status_code in (401, 403)


def test_viewer_reads_but_cannot_write(viewer_client):
    """A viewer lists and reads sites but cannot create, change or delete them."""
    SiteFactory(name="x")
    assert viewer_client.get(URL).status_code == 200
    assert viewer_client.get(f"{URL}x/").status_code == 200
    assert viewer_client.post(URL, {"name": "y"}, format="json").status_code == 403
    assert viewer_client.patch(f"{URL}x/", {"description": "d"}, format="json").status_code == 403
    assert viewer_client.delete(f"{URL}x/").status_code == 403


def test_builder_cannot_change_sites(builder_client):
    """Builders build on sites but do not change them."""
    SiteFactory(name="x")
    assert builder_client.get(URL).status_code == 200
    assert builder_client.post(URL, {"name": "y"}, format="json").status_code == 403
    assert builder_client.patch(f"{URL}x/", {"description": "d"}, format="json").status_code == 403


def test_infrastructure_admin_changes_sites(infra_client):
    """Infrastructure admins create, change and delete sites."""
    assert infra_client.post(URL, {"name": "y"}, format="json").status_code == 201
    assert infra_client.patch(f"{URL}y/", {"description": "d"}, format="json").status_code == 200
    assert infra_client.delete(f"{URL}y/").status_code == 204


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_budget(admin_client_api, django_assert_max_num_queries, rows):
    """Listing sites costs the same handful of queries however many there are."""
    root = SiteFactory(name="root")
    for index in range(rows):
        parent = SiteFactory(name=f"p{index}", parent=root)
        SiteFactory(name=f"c{index}", parent=parent)
    with django_assert_max_num_queries(6):
        response = admin_client_api.get(URL + "?limit=1000")
    assert response.data["count"] == 2 * rows + 1
