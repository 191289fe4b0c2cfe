"""The discovered-machine admin in a real browser: pick a machine, choose a planned foundation beside the action
menu, run *Assign*; the page says so and the foundation is located."""

import shutil

import pytest

from contractor.building.choices import FoundationState
from contractor.discovery import services
from tests.factories import ManualFoundationFactory, SiteFactory

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)"),
]
MAC = "52:54:00:ee:00:01"


@pytest.mark.django_db(transaction=True)
def test_assign_a_discovered_machine_from_the_list(admin_page, live_server, tmp_path):
    services.discovery_report(mac=MAC, facts={"cpu_count": 2, "memory_mb": 1985}, site=SiteFactory(name="lab"))
    foundation = ManualFoundationFactory(locator="rack1-node7")
    page = admin_page
    page.goto(f"{live_server.url}/admin/discovery/discoveredmachine/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "assign_to_foundation")
    page.select_option("select[name=foundation]", "rack1-node7")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    page.screenshot(path=str(tmp_path / "discovery-assign.png"))
    assert f"{MAC}: assigned to rack1-node7, told to poweroff." in page.inner_text("ul.messagelist")
    foundation.refresh_from_db()
    assert foundation.state == FoundationState.LOCATED and foundation.id_map["memory_mb"] == 1985
