"""An operator builds a foundation from the admin and watches its job, in a real browser."""

import shutil

import pytest

from contractor.foreman.models import Job
from contractor.foreman.worker import Worker
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, ScriptFactory

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)"),
]

CREATE = """begin( description="Check the console port" )
  message( msg='looking' )
  console = iputils.port_check( address='127.0.0.1', port=2222 )
end
"""


def _run_action(page, row_value: str, action: str) -> None:
    """Tick one row of a changelist, pick an action and press Go, as a person does."""
    page.check(f"input[name=_selected_action][value='{row_value}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")


@pytest.mark.django_db(transaction=True)
def test_operator_builds_a_foundation_and_watches_its_job(admin_page, live_server, tmp_path):
    """Locate and build from the foundation list, follow the link to the job, see where it is, pause it."""
    blueprint = FoundationBluePrintFactory(name="console-check")
    ScriptFactory(blueprint=blueprint, name="create", script=CREATE)
    foundation = ManualFoundationFactory(locator="rack1-u07", blueprint=blueprint)
    page = admin_page

    page.goto(f"{live_server.url}/admin/building/foundation/")
    _run_action(page, str(foundation.pk), "foundation_locate")
    assert "Rack1-u07: located" in page.inner_text(".messagelist")
    _run_action(page, str(foundation.pk), "foundation_create_job")
    job = Job.objects.get(foundation=foundation)
    worker = Worker()
    while worker.run_once():  # the foreman steps the job until it waits on its remote call
        pass

    page.click(f".messagelist a >> text=job {job.pk}")
    page.wait_for_selector("table.job-progress")
    progress = page.inner_text("table.job-progress")
    task = job.tasks.get()
    assert "Check the console port" in progress
    assert f"iputils.port_check (task {task.pk}, pending, attempt 0)" in progress
    assert page.inner_text("mark.current-line").strip() == "3"
    assert page.inner_text(".field-state .readonly") == "Running"
    page.screenshot(path=str(tmp_path / "job.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/foreman/job/")
    _run_action(page, str(job.pk), "job_pause")
    assert "Pause: 1 job(s)." in page.inner_text(".messagelist")
    assert "Paused" in page.inner_text("#result_list")
    job.refresh_from_db()
    assert job.state == "paused"
