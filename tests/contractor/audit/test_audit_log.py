"""The audit log: creates, updates and deletes through the API, the admin and manage.py; who, what, no secrets."""

import sys

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import manage
from contractor.blueprint.models import FoundationBluePrint
from contractor.building.services import complex_create, complex_update
from contractor.foreman.services import job_create
from tests.factories import (
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    ScriptFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db
CHANGES = "/api/v1/object-changes/"


def changes(client, **params) -> list[dict]:
    response = client.get(CHANGES, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_api_create_update_delete_are_listed_newest_first_with_who_and_what(make_user):
    """A token user's create, update and delete of a site: who, when, what object, which fields from what to what."""
    user = make_user("ops", superuser=True)
    client = token_client(user)
    assert client.post("/api/v1/sites/", {"name": "east", "description": "a"}, format="json").status_code == 201
    assert client.patch("/api/v1/sites/east/", {"description": "b"}, format="json").status_code == 200
    assert client.delete("/api/v1/sites/east/").status_code == 204
    deleted, updated, created = changes(client, object_type="site")
    assert [created["action"], updated["action"], deleted["action"]] == ["create", "update", "delete"]
    assert {entry["user"] for entry in (created, updated, deleted)} == {"ops"}
    assert {entry["source"] for entry in (created, updated, deleted)} == {"api"}
    assert created["object"] == "east" and created["object_id"] == updated["object_id"] == deleted["object_id"]
    assert created["changes"]["name"] == [None, "east"]
    assert updated["changes"] == {"description": ["a", "b"]}
    assert created["time"] <= updated["time"] <= deleted["time"]


def test_secrets_never_reach_the_log(admin_client_api):
    """Secret config values and plugin secret fields (a BMC password) are ******** in the log; the rest shows."""
    body = {"name": "lab", "config_values": {"root_password": "s3cret-root", "ntp": "ntp.lab"}}
    assert admin_client_api.post("/api/v1/sites/", body, format="json").status_code == 201
    FoundationBluePrint.objects.create(name="bp-ipmi", foundation_types=["ipmi"])
    server = {"type": "ipmi", "locator": "srv1", "site": "lab", "blueprint": "bp-ipmi", "bmc_address": "10.0.0.5",
              "bmc_username": "admin", "bmc_password": "hunter2"}  # fmt: skip
    assert admin_client_api.post("/api/v1/foundations/", server, format="json").status_code == 201
    patch = {"bmc_password": "hunter3", "bmc_port": 6230}
    assert admin_client_api.patch("/api/v1/foundations/srv1/", patch, format="json").status_code == 200
    text = admin_client_api.get(CHANGES, {"limit": 100}).content.decode()
    assert not any(secret in text for secret in ("s3cret-root", "hunter2", "hunter3"))
    (site,) = changes(admin_client_api, object_type="site")
    assert site["changes"]["config_values"][1] == {"root_password": "********", "ntp": "ntp.lab"}
    update, create = changes(admin_client_api, object_type="foundation")
    assert create["object"] == "srv1" and create["changes"]["bmc_address"] == [None, "10.0.0.5"]
    assert update["changes"] == {"bmc_password": ["********", "********"], "bmc_port": [623, 6230]}


def test_filters_by_object_id_and_user_and_refuses_unknown_ones(admin_client_api, make_user):
    SiteFactory(name="one")
    other = token_client(make_user("ops", superuser=True))
    other.post("/api/v1/sites/", {"name": "two"}, format="json")
    two = changes(admin_client_api, user="ops")
    assert [entry["object"] for entry in two] == ["two"]
    same = changes(admin_client_api, object_type="site", object_id=two[0]["object_id"])
    assert [entry["object"] for entry in same] == ["two"]
    assert {e["object"] for e in changes(admin_client_api, object_type="site")} == {"one", "two"}
    for params, name in (({"object_type": "spaceship"}, "object_type"), ({"user": "nobody"}, "user")):
        response = admin_client_api.get(CHANGES, params)
        assert response.status_code == 400 and list(response.json()) == [name], response.content


def test_the_admin_records_its_changes_and_its_history_page_shows_them(client, make_user):
    """A change made in the admin is recorded (source admin, the admin user), and the object's History shows it."""
    boss = make_user("boss", superuser=True)
    assert client.login(username="boss", password="pw-for-tests")
    site = SiteFactory(name="west", description="old words")
    form = {"name": "west", "description": "new words", "config_values": "{}", "zone": "", "parent": ""}
    response = client.post(f"/admin/site/site/{site.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = changes(token_client(boss), object_type="site")[0]
    assert (entry["user"], entry["source"], entry["changes"]) == (
        "boss",
        "admin",
        {"description": ["old words", "new words"]},
    )
    history = client.get(f"/admin/site/site/{site.pk}/history/").content.decode()
    assert "new words" in history and "old words" in history and "boss" in history


@pytest.mark.django_db(transaction=True)  # the command closes the database connection when it ends
def test_manage_py_commands_are_recorded_with_the_command(admin_client_api, monkeypatch):
    """load_demo run through manage.py: its sites, blueprints and structures are in the log, naming the command."""
    monkeypatch.setattr(sys, "argv", ["manage.py", "load_demo"])
    manage.main()
    entries = changes(admin_client_api, object_type="structure")
    assert {entry["object"] for entry in entries} == {"web01", "web02"}
    assert all(entry["source"].startswith("manage.py load_demo (") and entry["user"] is None for entry in entries)
    assert changes(admin_client_api, object_type="site", limit=1)[0]["source"].startswith("manage.py load_demo")


def test_operator_actions_on_jobs_are_recorded(builder_client, admin_client_api):
    blueprint = FoundationBluePrintFactory()
    ScriptFactory(blueprint=blueprint, name="create", script="pause( msg='rack it' )\n")
    foundation = ManualFoundationFactory(blueprint=blueprint, locator="n1")
    job = job_create(target=foundation, script_name="create")
    for action in ("pause", "resume", "cancel"):
        assert builder_client.post(f"/api/v1/jobs/{job.pk}/{action}/").status_code == 200
    entries = changes(admin_client_api, object_type="job")
    assert [(e["operator_action"], e["changes"]["state"], e["user"]) for e in entries] == [
        ("cancel", ["queued", "aborted"], "builder"),
        ("resume", ["paused", "queued"], "builder"),
        ("pause", ["queued", "paused"], "builder"),
    ]
    assert {entry["object_id"] for entry in entries} == {str(job.pk)}


def test_bulk_written_relations_are_recorded(admin_client_api):
    """Blueprint parents and complex members are written in bulk (no model signals): their changes are recorded."""
    StructureBluePrintFactory(name="base")
    assert admin_client_api.post("/api/v1/structure-blueprints/", {"name": "web"}, format="json").status_code == 201
    admin_client_api.patch("/api/v1/structure-blueprints/web/", {"parents": ["base"]}, format="json")
    assert changes(admin_client_api, object_type="structure-blueprint")[0]["changes"] == {"parents": [[], ["base"]]}
    first, second = StructureFactory(), StructureFactory()
    group = complex_create(name="c1", site=first.site, members=[first])
    complex_update(complex_=group, members=[first, second])
    members = [
        e["changes"]["members"] for e in changes(admin_client_api, object_type="complex") if "members" in e["changes"]
    ]
    assert members == [[[first.pk], sorted([first.pk, second.pk])], [[], [first.pk]]]


def test_tokens_are_recorded_on_their_user_without_their_key(admin_client_api, make_user):
    user = make_user("ops")
    token = Token.objects.create(user=user)
    text = admin_client_api.get(CHANGES, {"object_type": "user"}).content.decode()
    assert token.key not in text
    assert changes(admin_client_api, object_type="user")[0]["changes"] == {"api_token": [None, "********"]}


def test_foreman_state_changes_are_left_out(admin_client_api, run_worker_once):
    """A finishing job's state change of its foundation is knowingly not audited (the job log holds it)."""
    blueprint = FoundationBluePrintFactory()
    ScriptFactory(blueprint=blueprint, name="create", script="pass\n")
    foundation = ManualFoundationFactory(blueprint=blueprint, locator="n2")
    job_create(target=foundation, script_name="create")
    run_worker_once()
    foundation.refresh_from_db()
    assert foundation.state == "built"
    assert [entry["action"] for entry in changes(admin_client_api, object_type="foundation")] == ["create"]


@pytest.fixture
def run_worker_once():
    from contractor.foreman.worker import Worker

    def run():
        worker = Worker(batch=100)
        while worker.run_once():
            pass

    return run


def test_every_role_reads_the_log_and_none_may_change_it(viewer_client, make_user):
    from contractor.user import roles

    assert viewer_client.get(CHANGES).status_code == 200
    infra = make_user("infra", roles.INFRA_ADMIN)
    assert infra.has_perm("auditlog.view_logentry")
    assert not any(infra.has_perm(f"auditlog.{verb}_logentry") for verb in ("add", "change", "delete"))
    assert viewer_client.post(CHANGES, {}, format="json").status_code == 403
    assert token_client(make_user("root", superuser=True)).post(CHANGES, {}, format="json").status_code == 405
