"""An operator plays through the web console in a real browser, against a real foreman and subcontractor.

Find a machine by MAC, open it, build it, watch the job to done (a real subcontractor daemon answers its remote
call), see the graph; every page is photographed at 1440 and 1024 pixels wide; a viewer gets no build buttons.
"""

import shutil
import socket
from pathlib import Path

import pytest

from contractor.building.choices import FoundationState, StructureState
from contractor.building.models import Foundation
from contractor.dns.models import Zone
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.foreman.services import job_create
from contractor.subcontracting.services import subcontractor_register
from contractor.user import roles
from tests.e2e.conftest import Processes, free_tcp_port, wait_until
from tests.factories import (
    AddressBlockFactory,
    AddressFactory,
    DependencyFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    RealNetworkInterfaceFactory,
    ScriptFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)"),
]

MAC = "52:54:00:12:34:56"
WIDTHS = (1440, 1024)
CREATE = """begin( description="Provision the server" )
  message( msg='waiting for the serial console' )
  console = iputils.wait_for_port( address='127.0.0.1', port={port}, timeout=120, interval=0.3 )
  message( msg='serial console answers' )
end
"""
MANUAL = """begin( description="Rack and cable" )
  pause( msg="Rack and cable the server, then resume this job" )
end
"""


def shoot(page, directory: Path, name: str) -> None:
    """Photograph the whole page at each width; the files are for a person to look at."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(directory / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/console/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")


def a_fleet(port: int):
    """A site with a zone and a rack, a built web server, one machine waiting on it, one paused job, and the
    machine to build (a MAC on its NIC), whose create script waits for a port on 127.0.0.1."""
    zone = Zone.objects.create(name="lab.example.com", name_servers=["ns1.lab.example.com"])
    lab = SiteFactory(name="lab", description="The lab", zone=zone, config_values={"ntp_server": "10.0.0.123"})
    rack = SiteFactory(name="lab-rack1", parent=lab, config_values={"rack": "rack1"})
    blueprint = FoundationBluePrintFactory(name="rack-server", config_values={"boot_mode": "uefi"})
    ScriptFactory(blueprint=blueprint, name="create", script=CREATE.format(port=port))
    ScriptFactory(blueprint=blueprint, name="destroy", script="pass\n")
    ScriptFactory(blueprint=blueprint, name="identify", script="pass\n")
    manual = FoundationBluePrintFactory(name="hand-racked")
    ScriptFactory(blueprint=manual, name="create", script=MANUAL)
    web = StructureFactory(
        hostname="web01", site=rack, state=StructureState.BUILT,
        foundation=ManualFoundationFactory(locator="rack1-u01", site=rack, blueprint=blueprint,
                                           state=FoundationState.BUILT),
        blueprint=StructureBluePrintFactory(name="web-server", foundation_blueprints=[blueprint]),
    )  # fmt: skip
    block = AddressBlockFactory(name="lab-v4", site=lab, subnet="10.20.0.0", prefix=24)
    AddressFactory(address_block=block, offset=11, kind="static", structure=web, interface_name="eth0",
                   is_primary=True)  # fmt: skip
    RealNetworkInterfaceFactory(foundation=web.foundation, name="eth0", mac="52:54:00:00:00:01")
    waiting = ManualFoundationFactory(locator="rack1-u02", site=rack, blueprint=blueprint,
                                      state=FoundationState.LOCATED)  # fmt: skip
    DependencyFactory(structure=web, foundation=waiting)
    job_create(target=ManualFoundationFactory(locator="rack1-u03", site=rack, blueprint=manual), script_name="create")
    target = ManualFoundationFactory(locator="rack1-u07", site=rack, blueprint=blueprint, class_list=["fast"])
    RealNetworkInterfaceFactory(foundation=target, name="eth0", mac=MAC)
    return target


@pytest.fixture
def processes(transactional_db, tmp_path):
    """A real foreman worker and subcontractor daemon on the test database, stopped at the end."""
    running = Processes(tmp_path)
    yield running
    running.stop_all()


@pytest.fixture
def screens(tmp_path) -> Path:
    directory = tmp_path / "screens"
    directory.mkdir()
    return directory


def test_an_operator_finds_builds_and_watches_a_machine(browser_page, live_server, processes, make_user, screens):
    """Search by MAC, open, build, watch the job to done live, then the foundation is built and the graph says so."""
    port = free_tcp_port()  # nothing listens yet: the job waits on its remote call until the test opens it
    target = a_fleet(port)
    make_user("builder", roles.BUILDER)
    _, token = subcontractor_register(name="sc-lab", sites=["lab"], modules=["iputils"])
    processes.foreman("foreman")
    processes.subcontractor("daemon", live_server.url, token, "lab", "iputils = 2")
    page, url = browser_page, live_server.url
    manual = Job.objects.get(foundation__locator="rack1-u03")
    assert wait_until(lambda: Job.objects.get(pk=manual.pk).state == JobState.PAUSED, 60), processes.logs()

    log_in(page, url, "builder")
    assert "paused" in page.inner_text("#attention tbody tr:first-child")  # the paused job waits for a person
    shoot(page, screens, "dashboard")
    page.click(f"#attention >> text=#{manual.pk}")
    page.wait_for_selector("#job-callout:has-text('waiting for a person: Rack and cable')")
    assert page.is_enabled("button[data-action=resume]") and page.is_disabled("button[data-action=pause]")
    shoot(page, screens, "job-paused")

    page.fill(".topsearch input", "52-54-00-12-34-56")
    page.press(".topsearch input", "Enter")
    page.wait_for_selector("#result-interfaces")
    assert page.inner_text("#result-interfaces tbody").count(MAC) == 1
    shoot(page, screens, "search")

    page.click("#result-interfaces >> text=rack1-u07")
    page.wait_for_selector("h1:has-text('rack1-u07')")
    assert "site:lab-rack1" in page.inner_text("#config")  # where the rack value came from
    shoot(page, screens, "foundation")

    page.click("button[name=build]")
    page.wait_for_selector("#job-progress")
    job = Job.objects.get(foundation=target)
    assert page.url.endswith(f"/console/jobs/{job.pk}/")
    page.wait_for_selector("#job-task >> text=iputils.wait_for_port")  # the feed brought the pending task
    # the page may show the pending task a moment before it moves the current line and the block
    page.wait_for_selector(".sline.current:has(.lno:text-is('3'))")
    assert page.inner_text(".sline.current .lno") == "3"
    page.wait_for_selector("#job-block:text-is('Provision the server')")
    shoot(page, screens, "job-running")

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        page.wait_for_selector("#job-state:has-text('done')", timeout=90_000)
    assert page.inner_text("#job-percent") == "100.0%"
    assert "serial console answers" in page.inner_text("#job-steps")
    assert all(page.is_disabled(f"button[data-action={name}]") for name in ("pause", "resume", "cancel"))
    shoot(page, screens, "job-done")
    job.refresh_from_db()
    assert job.state == JobState.DONE, processes.logs()

    page.click(".crumbs >> text=rack1-u07")
    page.wait_for_selector("h1 .badge.s-built")
    assert "done" in page.inner_text("#jobs")

    page.click(".mainnav >> text=Sites")
    page.click("#site-lab-rack1 > summary")
    page.wait_for_selector("#site-lab-rack1 .siteinfo >> text=rack1")
    shoot(page, screens, "sites")

    page.click("#site-lab > summary .button")
    page.wait_for_selector("#site-graph")
    assert page.get_attribute(f"[data-id='foundation:{target.pk}']", "data-state") == "built"
    waiting = Foundation.objects.get(locator="rack1-u02")
    assert page.get_attribute(f"[data-id='foundation:{waiting.pk}']", "data-state") == "located"
    shoot(page, screens, "graph")

    page.click("#site-graph a.node-structure")
    page.wait_for_selector("#dns >> text=eth0.web01.lab.example.com")
    assert "rack1-u02" in page.inner_text("#dependencies")
    shoot(page, screens, "structure")


@pytest.mark.django_db(transaction=True)
def test_a_viewer_is_refused_the_build_and_job_buttons(browser_page, live_server, make_user, screens):
    """A viewer reads every page but has no build, destroy or job buttons, and a forged POST is refused."""
    target = a_fleet(free_tcp_port())
    make_user("viewer", roles.VIEWER)
    job = Job.objects.get(foundation__locator="rack1-u03")
    page, url = browser_page, live_server.url
    log_in(page, url, "viewer")
    page.click(".tile >> text=located")  # a dashboard count opens the list it counts
    page.wait_for_selector("#foundation-list")
    assert page.inner_text("#foundation-list tbody").count("located") == 1
    page.goto(f"{url}/console/foundations/")
    shoot(page, screens, "foundations")
    page.goto(f"{url}/console/jobs/")
    shoot(page, screens, "jobs")

    page.goto(f"{url}/console/foundations/{target.locator}/")
    page.wait_for_selector("#no-build")
    assert page.locator("#object-actions button").count() == 0
    shoot(page, screens, "foundation-viewer")
    page.goto(f"{url}/console/jobs/{job.pk}/")
    page.wait_for_selector("#no-steer")
    assert page.locator("#job-actions button").count() == 0
    shoot(page, screens, "job-viewer")

    token = page.evaluate("document.cookie.match(/csrftoken=([^;]+)/)[1]")
    answer = page.request.post(f"{url}/console/foundations/{target.locator}/jobs/", form={"script": "create"},
                               headers={"X-CSRFToken": token})  # fmt: skip
    assert answer.status == 403 and not Job.objects.filter(foundation=target).exists()
