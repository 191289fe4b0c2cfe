"""The console's pages over HTTP: what each role sees and may do, search, the job feed and the graph."""

import pytest
from django.test import Client

from contractor.building.choices import FoundationState
from contractor.console.selectors import mac_pattern
from contractor.foreman.choices import JobState
from contractor.foreman.models import Job
from contractor.foreman.services import job_create, job_pause
from contractor.user import roles
from contractor.webhooks.services import event_emit
from tests.factories import (
    AddressBlockFactory,
    AddressFactory,
    DependencyFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    RealNetworkInterfaceFactory,
    ScriptFactory,
    SiteFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

CREATE = 'begin( description="Check" )\n  message( msg="looking" )\nend\n'


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(make_user):
    return _client(make_user("viewer", roles.VIEWER))


@pytest.fixture
def builder(make_user):
    return _client(make_user("builder", roles.BUILDER))


@pytest.fixture
def machine():
    """A manual foundation with a create and a utility script, one NIC and a structure with a static address."""
    site = SiteFactory(name="lab", config_values={"ntp": "10.0.0.1", "bmc_password": "hunter2"})
    blueprint = FoundationBluePrintFactory(name="rackmount")
    ScriptFactory(blueprint=blueprint, name="create", script=CREATE)
    ScriptFactory(blueprint=blueprint, name="identify", script="pass\n")
    foundation = ManualFoundationFactory(locator="rack1-u07", site=site, blueprint=blueprint)
    RealNetworkInterfaceFactory(foundation=foundation, name="eth0", mac="52:54:00:ab:cd:ef")
    return foundation


def test_anonymous_users_are_sent_to_the_console_login(client):
    """/ and every console page lead someone not logged in to the console's own login page."""
    assert client.get("/")["Location"] == "/console/login/"
    answer = client.get("/console/sites/")
    assert answer.status_code == 302 and answer["Location"].startswith("/console/login/?next=/console/sites/")


def test_a_logged_in_user_lands_on_the_dashboard(viewer):
    assert viewer.get("/")["Location"] == "/console/"


def test_a_user_without_a_role_is_refused(make_user):
    """Logged in but holding no read permission: a 403, not a loop back to the login page."""
    assert _client(make_user("nobody")).get("/console/").status_code == 403


def test_the_dashboard_counts_states_and_lists_paused_jobs_first(viewer, machine):
    running = job_create(target=ManualFoundationFactory(site=machine.site, blueprint=machine.blueprint),
                         script_name="create")  # fmt: skip
    paused = job_pause(job=job_create(target=machine, script_name="create"))
    ManualFoundationFactory(state=FoundationState.BUILT)
    page = viewer.get("/console/").content.decode()
    attention = page[page.index('id="attention"') :]
    assert attention.index(f"#{paused.pk}<") < attention.index(f"#{running.pk}<")
    counts = page[page.index('id="job-counts"') : page.index("</ul>", page.index('id="job-counts"'))]
    assert "running</span></a><strong>1<" in counts and "paused</span></a><strong>1<" in counts


def test_the_dashboard_lists_events_whatever_their_data(viewer, machine):
    """Recent events show a message or a state when their data has one, and nothing when it has neither
    (foundation.located carries only the type): the page still renders."""
    event_emit(event="foundation.located", obj=machine, data={"type": "manual"}, site=machine.site)
    event_emit(event="job.paused", obj=machine, data={"message": "Rack and cable the server"}, site=machine.site)
    answer = viewer.get("/console/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "<code>foundation.located</code>" in page and "Rack and cable the server" in page


@pytest.mark.parametrize("typed", ["52:54:00:ab:cd:ef", "52-54-00-AB-CD-EF", "525400abcdef", "ab:cd:ef", "abcdef"])
def test_search_finds_a_machine_by_mac_whatever_the_separators(viewer, machine, typed):
    page = viewer.get("/console/search/", {"q": typed}).content.decode()
    assert 'id="result-interfaces"' in page and "/console/foundations/rack1-u07/" in page


def test_mac_patterns():
    assert mac_pattern("52-54-00-AB-CD-EF") == "52:54:00:ab:cd:ef"
    assert mac_pattern("5254.00ab.cdef") == "52:54:00:ab:cd:ef"
    assert mac_pattern("cdef") == "cdef"
    assert mac_pattern("rack1") is None and mac_pattern("abc") is None


def test_search_finds_a_structure_by_address_and_hostname(viewer, machine):
    structure = StructureFactory(hostname="web01", site=machine.site, foundation=machine)
    block = AddressBlockFactory(site=machine.site, subnet="10.9.8.0", prefix=24)
    AddressFactory(address_block=block, offset=20, kind="static", structure=structure, interface_name="eth0")
    by_ip = viewer.get("/console/search/", {"q": "10.9.8.20"}).content.decode()
    assert 'id="result-addresses"' in by_ip and f"/console/structures/{structure.pk}/" in by_ip
    by_name = viewer.get("/console/search/", {"q": "WEB0"}).content.decode()
    assert 'id="result-structures"' in by_name
    assert "Nothing matches" in viewer.get("/console/search/", {"q": "no-such-thing"}).content.decode()


def test_the_site_tree_shows_counts_and_redacts_secrets(viewer, machine):
    SiteFactory(name="lab-row2", parent=machine.site)
    page = viewer.get("/console/sites/").content.decode()
    assert 'id="site-lab"' in page and 'id="site-lab-row2"' in page
    assert "1 / 1 foundations" in page and "hunter2" not in page and "10.0.0.1" in page


def test_a_viewer_sees_the_foundation_but_no_build_button(viewer, machine):
    page = viewer.get("/console/foundations/rack1-u07/").content.decode()
    assert "52:54:00:ab:cd:ef" in page and 'id="no-build"' in page and 'name="build"' not in page
    assert "site:lab" in page and "hunter2" not in page  # the merged config names the layer of each value
    answer = viewer.post("/console/foundations/rack1-u07/jobs/", {"script": "create"})
    assert answer.status_code == 403 and not Job.objects.exists()


def test_a_builder_builds_through_the_job_rules(builder, machine):
    page = builder.get("/console/foundations/rack1-u07/").content.decode()
    assert 'name="build"' in page and '<option value="identify">' in page
    answer = builder.post("/console/foundations/rack1-u07/jobs/", {"script": "create"})
    job = Job.objects.get()
    assert answer["Location"] == f"/console/jobs/{job.pk}/" and job.created_by.username == "builder"
    again = builder.post("/console/foundations/rack1-u07/jobs/", {"script": "create"}, follow=True)
    assert "Rule &#x27;one job per target&#x27;" in again.content.decode() and Job.objects.count() == 1


def test_a_utility_script_the_blueprint_lacks_is_refused(builder, machine):
    page = builder.post("/console/foundations/rack1-u07/jobs/", {"script": "reflash"}, follow=True).content.decode()
    assert "has no script" in page and not Job.objects.exists()


def test_the_job_feed_and_the_operator_actions(builder, viewer, machine):
    job = job_create(target=machine, script_name="create")
    feed = viewer.get(f"/console/jobs/{job.pk}/feed/").json()
    assert feed["state"] == JobState.QUEUED and feed["actions"]["pause"] and not feed["actions"]["resume"]
    assert feed["steps"][0]["status"] == "created"
    assert viewer.post(f"/console/jobs/{job.pk}/pause/").status_code == 403
    page = builder.post(f"/console/jobs/{job.pk}/pause/", follow=True).content.decode()
    assert f"Job {job.pk} paused." in page
    refused = builder.post(f"/console/jobs/{job.pk}/reset/", follow=True).content.decode()
    assert "only a job in error can be reset" in refused
    assert builder.get(f"/console/jobs/{job.pk}/feed/").json()["actions"] == {
        "pause": False, "resume": True, "reset": False, "rollback": False, "cancel": True,
    }  # fmt: skip


def test_a_deleted_job_is_shown_from_its_log(builder, machine):
    job = job_create(target=machine, script_name="create")
    pk = job.pk
    builder.post(f"/console/jobs/{pk}/cancel/")
    Job.objects.filter(pk=pk).delete()
    page = builder.get(f"/console/jobs/{pk}/").content.decode()
    assert "permanent record" in page and "aborted" in page


def test_the_structure_page_names_its_dns_records_and_what_waits_on_it(viewer, machine):
    from contractor.dns.models import Zone

    zone = Zone.objects.create(name="lab.example.com", name_servers=["ns1.example.com"])
    machine.site.zone = zone
    machine.site.save()
    structure = StructureFactory(hostname="web01", site=machine.site, foundation=machine)
    block = AddressBlockFactory(site=machine.site, subnet="10.9.8.0", prefix=24)
    AddressFactory(address_block=block, offset=20, kind="static", structure=structure, interface_name="eth0",
                   is_primary=True)  # fmt: skip
    waiting = ManualFoundationFactory(locator="rack1-u08", site=machine.site)
    DependencyFactory(structure=structure, foundation=waiting)
    page = viewer.get(f"/console/structures/{structure.pk}/").content.decode()
    assert "eth0.web01.lab.example.com" in page and "web01.lab.example.com" in page and "10.9.8.20/24" in page
    assert "/console/foundations/rack1-u08/" in page  # affected if it goes down


def test_the_graph_draws_every_node_coloured_by_state(viewer, machine):
    structure = StructureFactory(hostname="web01", site=machine.site, foundation=machine)
    waiting = ManualFoundationFactory(locator="rack1-u08", site=machine.site, state=FoundationState.LOCATED)
    DependencyFactory(structure=structure, foundation=waiting)
    job_create(target=machine, script_name="create")
    page = viewer.get("/console/sites/lab/graph/").content.decode()
    assert f'data-id="foundation:{machine.pk}" data-state="planned"' in page
    assert f'data-id="foundation:{waiting.pk}" data-state="located"' in page
    assert page.count('marker-end="url(#arrow)"') == 3  # hosts, and the dependency's two depends edges
    assert "busy" in page  # the machine has an active job
    assert viewer.get("/console/sites/nowhere/graph/").status_code == 404


def test_the_lists_filter_as_the_api_does_and_page(viewer, machine):
    ManualFoundationFactory.create_batch(55, site=machine.site, state=FoundationState.BUILT)
    built = viewer.get("/console/foundations/", {"state": "built", "site": "lab"}).content.decode()
    assert "55 found" in built and "page 1 of 2" in built and "rack1-u07" not in built
    second = viewer.get("/console/foundations/", {"state": "built", "page": 2}).content.decode()
    assert "page 2 of 2" in second
    assert "state: Select a valid choice" in viewer.get("/console/foundations/", {"state": "melted"}).content.decode()
    StructureFactory(hostname="db01", site=machine.site, foundation=machine)
    assert "db01" in viewer.get("/console/structures/", {"state": "planned"}).content.decode()


def _fleet(site, blueprint, count: int) -> None:
    for _ in range(count):
        foundation = ManualFoundationFactory(site=site, blueprint=blueprint)
        RealNetworkInterfaceFactory(foundation=foundation)  # MACs 02:00:00:...
        job_pause(job=job_create(target=foundation, script_name="create"))


@pytest.mark.parametrize("path", ["/console/", "/console/foundations/", "/console/search/?q=02:00:00",
                                  "/console/sites/lab/graph/", "/console/jobs/"])  # fmt: skip
def test_a_page_costs_the_same_queries_for_a_bigger_fleet(viewer, machine, path, django_assert_max_num_queries):
    """Ten times the machines and paused jobs, no more queries: nothing is read one row at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fleet(machine.site, machine.blueprint, 2)
    with CaptureQueriesContext(connection) as small:
        assert viewer.get(path).status_code == 200
    _fleet(machine.site, machine.blueprint, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert viewer.get(path).status_code == 200


def test_a_job_in_error_is_reset_from_the_console_and_runs_to_done(builder, machine):
    """error() stops the job; the feed offers reset, rollback and cancel only; reset sends it on to its end."""
    from contractor.foreman.worker import Worker

    blueprint = FoundationBluePrintFactory(name="fussy")
    ScriptFactory(blueprint=blueprint, name="create", script='error( msg="disk missing" )\nmessage( msg="on" )\n')
    job = job_create(target=ManualFoundationFactory(site=machine.site, blueprint=blueprint), script_name="create")
    worker = Worker()
    while worker.run_once():
        pass
    feed = builder.get(f"/console/jobs/{job.pk}/feed/").json()
    assert feed["state"] == JobState.ERROR and "disk missing" in feed["message"] and feed["line"] == 1
    assert [name for name, allowed in feed["actions"].items() if allowed] == ["reset", "rollback", "cancel"]
    assert f"Job {job.pk} reset." in builder.post(f"/console/jobs/{job.pk}/reset/", follow=True).content.decode()
    while worker.run_once():
        pass
    assert builder.get(f"/console/jobs/{job.pk}/feed/").json()["state"] == JobState.DONE


def test_a_refusal_page_names_the_roles(make_user):
    page = _client(make_user("nobody")).get("/console/")
    assert page.status_code == 403 and "with no role" in page.content.decode()


def test_a_bmc_password_never_shows_on_the_foundation_page(make_user, machine):
    """Not even to an infrastructure admin, who sees secrets in config: the API never returns it either."""
    from plugins.ipmi.models import IPMIFoundation

    blueprint = FoundationBluePrintFactory(name="bmc-server", foundation_types=["ipmi"])
    IPMIFoundation.objects.create(locator="rack2-u01", site=machine.site, blueprint=blueprint,
                                  bmc_address="10.1.1.5", bmc_username="admin", bmc_password="s3cret-bmc")  # fmt: skip
    page = _client(make_user("infra", roles.INFRA_ADMIN)).get("/console/foundations/rack2-u01/").content.decode()
    summary = page[page.index('id="summary"') : page.index('id="interfaces"')]
    assert "10.1.1.5" in summary and "********" in summary and "s3cret-bmc" not in summary


def test_a_builder_builds_a_structure_through_the_same_rules(builder, machine):
    """Refused on a foundation neither built nor being built; once the foundation's create runs, it waits on it."""
    structure = StructureFactory(hostname="web02", site=machine.site, foundation=machine)
    ScriptFactory(blueprint=structure.blueprint, name="create", script="pass\n")
    url = f"/console/structures/{structure.pk}/jobs/"
    refused = builder.post(url, {"script": "create"}, follow=True).content.decode()
    assert "a structure is created on a built foundation" in refused and not Job.objects.exists()
    builder.post("/console/foundations/rack1-u07/jobs/", {"script": "create"})
    answer = builder.post(url, {"script": "create"}, follow=True)
    job = Job.objects.get(structure=structure)
    assert answer.redirect_chain[-1][0] == f"/console/jobs/{job.pk}/" and job.state == JobState.WAITING
    page = builder.get(f"/console/structures/{structure.pk}/").content.decode()
    assert f"/console/jobs/{job.pk}/" in page and "waiting" in page
