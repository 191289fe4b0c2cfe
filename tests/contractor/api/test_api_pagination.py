"""Pagination: every list is `{count, next, previous, results}` driven by `?limit=&offset=`."""

import pytest

from contractor.foreman.models import JobLog

pytestmark = pytest.mark.django_db


def test_limit_offset_shape(admin_client_api, make_user):
    """A page holds `limit` results from `offset`, with links to the pages either side."""
    for index in range(5):
        make_user(f"user{index}")
    response = admin_client_api.get("/api/v1/users/", {"limit": 2, "offset": 2})
    assert response.status_code == 200
    assert set(response.data) == {"count", "next", "previous", "results"}
    assert response.data["count"] == 6  # the five plus root
    assert [user["username"] for user in response.data["results"]] == ["user1", "user2"]
    assert response.data["next"] == "http://testserver/api/v1/users/?limit=2&offset=4"
    assert response.data["previous"] == "http://testserver/api/v1/users/?limit=2"


def make_logs(count: int) -> None:
    JobLog.objects.bulk_create(
        JobLog(target_kind="foundation", target=f"n{index}", script_name="create") for index in range(count)
    )


def test_default_page_is_fifty(viewer_client):
    """Without ?limit= a page holds 50 results."""
    make_logs(51)
    response = viewer_client.get("/api/v1/job-logs/")
    assert response.data["count"] == 51
    assert len(response.data["results"]) == 50
    assert response.data["next"] == "http://testserver/api/v1/job-logs/?limit=50&offset=50"
    assert response.data["previous"] is None


def test_limit_is_capped_at_a_thousand(viewer_client):
    """Asking for more than 1,000 rows gets 1,000, and the next page starts after them."""
    make_logs(1001)
    response = viewer_client.get("/api/v1/job-logs/", {"limit": 5000})
    assert len(response.data["results"]) == 1000
    assert response.data["next"] == "http://testserver/api/v1/job-logs/?limit=1000&offset=1000"
