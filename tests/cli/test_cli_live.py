"""The installed `contractor` command against a live server: profiles, the collections, errors and jobs."""

import json
import stat

import pytest
import yaml

from contractor.user import roles
from contractor.user.services import user_token

pytestmark = pytest.mark.slow

BLUEPRINT = """\
name: manual-server
foundation_types: [manual]
scripts:
  create: |
    begin( description="Power it on" )
      foundation.power_on()
      message( msg="powered on" )
    end
  destroy: "pass\\n"
  broken: |
    begin( description="Always fails" )
      error( msg="the disk is on fire" )
    end
"""


def one_line(result) -> str:
    """The error a failed run printed: exactly one line on stderr, nothing on stdout."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and not result.stdout, (result.stdout, result.stderr)
    return lines[0]


def test_login_with_a_password_stores_a_private_profile(server, cli, make_user):
    """`login URL` takes a username and password, stores the user's token in a 0600 file and uses it after."""
    user = make_user("builder", roles.BUILDER)
    result = cli("login", server, "--username", "builder", "--password-stdin", stdin="pw-for-tests\n")
    assert result.returncode == 0, result.stderr
    path = cli.home / "contractor" / "profiles.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert user_token(user=user).key in path.read_text() and server in path.read_text()
    whoami = cli("whoami")
    assert whoami.returncode == 0 and "builder" in whoami.stdout, whoami.stderr

    refused = cli("login", server, "--username", "builder", "--password-stdin", "--profile", "x", stdin="nope\n")
    assert refused.returncode == 3 and "wrong username or password" in one_line(refused)
    assert "x" not in cli.json("profiles")[0]["name"] and len(cli.json("profiles")) == 1


def test_profiles_and_environment_override(server, cli, make_user, tmp_path):
    """--profile picks a stored profile; CONTRACTOR_URL / CONTRACTOR_TOKEN win over it; each failure has its status."""
    assert cli("site", "list").returncode == 2  # not logged in yet: a usage error naming `contractor login`
    assert "contractor login" in one_line(cli("site", "list"))
    viewer = user_token(user=make_user("watcher", roles.VIEWER)).key
    admin = user_token(user=make_user("ops", roles.INFRA_ADMIN)).key
    assert cli("login", server, "--token", viewer).returncode == 0
    assert cli("login", server, "--token", admin, "--profile", "ops", "--no-default").returncode == 0

    assert cli.json("whoami")["username"] == "watcher"
    assert cli.json("--profile", "ops", "whoami")["username"] == "ops"
    assert cli.json("whoami", env={"CONTRACTOR_PROFILE": "ops"})["username"] == "ops"
    assert cli.json("--profile", "ops", "whoami", env={"CONTRACTOR_TOKEN": viewer})["username"] == "watcher"
    only_env = {"CONTRACTOR_URL": server, "CONTRACTOR_TOKEN": admin, "XDG_CONFIG_HOME": str(tmp_path / "empty")}
    assert cli.json("whoami", env=only_env)["username"] == "ops"

    assert cli("--profile", "nosuch", "whoami").returncode == 2
    assert cli("whoami", env={"CONTRACTOR_TOKEN": "0" * 40}).returncode == 3
    dead = cli("whoami", env={"CONTRACTOR_URL": "http://127.0.0.1:9"})
    assert dead.returncode == 5 and "cannot reach" in one_line(dead)
    denied = cli("site", "create", "name=lab")  # a viewer may not write
    assert denied.returncode == 3 and "permission" in one_line(denied).lower()
    assert cli("logout", "--profile", "ops").returncode == 0
    assert [row["name"] for row in cli.json("profiles")] == ["default"]


def test_list_show_create_update_delete(admin, cli):
    """Every verb of a collection, with --json and --yaml; field errors are one `field: message` line."""
    made = cli.json("site", "create", "name=lab", "description=The lab", 'config_values:={"rack": 1}')
    assert (made["name"], made["config_values"]) == ("lab", {"rack": 1})
    assert cli.json("site", "create", "name=lab-rack1", "parent=lab")["parent"] == "lab"
    assert [row["name"] for row in cli.json("site", "list")] == ["lab", "lab-rack1"]
    assert [row["name"] for row in cli.json("site", "list", "--parent", "lab")] == ["lab-rack1"]
    assert [row["name"] for row in cli.json("site", "list", "--filter", "name__icontains=rack")] == ["lab-rack1"]
    assert yaml.safe_load(cli("site", "show", "lab", "--yaml").stdout)["description"] == "The lab"
    assert cli.json("site", "update", "lab", "description=Renamed")["description"] == "Renamed"
    table = cli("site", "list")
    assert table.returncode == 0 and "lab-rack1" in table.stdout and "Renamed" in table.stdout
    cli.json("site", "update", "lab-rack1", "description=[red]hot[/]")  # data, never rich markup
    assert "[red]hot[/]" in cli("site", "list").stdout and "[red]hot[/]" in cli("site", "show", "lab-rack1").stdout

    clash = cli("site", "create", "name=lab")
    assert clash.returncode == 1 and one_line(clash) == "error: name: site with this name already exists."
    nested = cli("site", "update", "lab", 'config_values:={"x": "{{ nosuch"}')
    assert nested.returncode == 1 and one_line(nested).startswith("error: config_values: ")
    missing = cli("site", "show", "nosuch")
    assert missing.returncode == 4 and "No " in one_line(missing)
    assert cli("site", "create", "name").returncode == 2  # not key=value: a usage error
    assert cli("site", "frobnicate").returncode == 2

    deleted = cli("site", "delete", "lab-rack1")
    assert deleted.returncode == 0 and "deleted" in deleted.stdout
    assert [row["name"] for row in cli.json("site", "list")] == ["lab"]
    audit = cli.json("object-change", "list", "--object-type", "site", "--action", "delete")
    assert [(row["object"], row["user"]) for row in audit] == [("lab-rack1", "ops")]


def test_jobs_build_pause_resume_and_watch(admin, cli, tmp_path):
    """A manual foundation's build pauses for a person; `job watch` follows it, its exit status the outcome."""
    design = tmp_path / "blueprint.yaml"
    design.write_text(BLUEPRINT)
    cli.json("site", "create", "name=lab")
    assert cli.json("foundation-blueprint", "create", "--file", design)["name"] == "manual-server"
    cli.json("foundation", "create", "type=manual", "locator=rack1-u01", "site=lab", "blueprint=manual-server")

    job = cli.json("foundation", "build", "rack1-u01")
    assert (job["script_name"], job["target"]) == ("create", "rack1-u01")
    paused = cli("job", "watch", job["id"], "--exit-on-pause", "--interval", "0.2")
    assert paused.returncode == 8, paused.stderr
    assert "Please power on rack1-u01" in paused.stdout and "Power it on" in paused.stdout
    again = cli("job", "pause", job["id"])  # already paused: the job rule, one line, status 1
    assert again.returncode == 1 and one_line(again).startswith("error: state: ")
    assert cli.json("job", "resume", job["id"])["state"] in ("queued", "running", "done")
    done = cli("job", "watch", job["id"], "--interval", "0.2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"job {job['id']} done" in done.stdout
    assert cli.json("foundation", "show", "rack1-u01")["state"] == "built"
    assert cli.json("job-log", "list", "--job", job["id"])[0]["outcome"] == "done"

    broken = cli("foundation", "run", "rack1-u01", "broken", "--watch", "--interval", "0.2")
    assert broken.returncode == 6 and "the disk is on fire" in broken.stdout
    (failed,) = cli.json("job", "list", "--state", "error")
    refused = cli("job", "rollback", failed["id"])  # rollback is for a failed remote call only
    assert refused.returncode == 1 and "rolled back" in one_line(refused)
    assert cli.json("job", "reset", failed["id"])["state"] in ("queued", "running", "done")  # error() returns
    assert cli("job", "watch", failed["id"], "--interval", "0.2").returncode == 0

    job = cli.json("foundation", "run", "rack1-u01", "broken")
    assert cli("job", "watch", job["id"], "--interval", "0.2").returncode == 6
    assert cli.json("job", "cancel", job["id"])["state"] == "aborted"
    aborted = cli("job", "watch", job["id"])
    assert aborted.returncode == 7 and "aborted" in aborted.stdout


def test_actions_config_addresses_dns_fleet(admin, cli):
    """config show (with --layers), address allocate, dns zone and fleet impact answer from the API."""
    cli.json("site", "create", "name=lab", 'config_values:={"ntp": "ntp.lab"}')
    layered = cli.json("config", "show", "site", "lab", "--layers")
    assert layered["ntp"]["value"] == "ntp.lab" and layered["ntp"]["layer"] == "site:lab"
    assert cli.json("config", "show", "site", "lab")["ntp"] == "ntp.lab"

    block = cli.json("address-block", "create", "name=mgmt", "site=lab", "subnet=10.9.0.0/24", "gateway=10.9.0.1")
    taken = cli.json("address", "allocate", block["id"], "kind=reserved", "reason=a printer")
    assert taken["address"] == "10.9.0.2"
    assert cli.json("address-block", "usage", block["id"])["used"] == 1

    zone = {"name": "lab.example.com", "name_servers": ["ns1.example.net"], "contact": "hostmaster@lab.example.com"}
    cli.json("zone", "create", "--file", "-", stdin=json.dumps(zone))
    zonefile = cli("dns", "zone", "lab.example.com")
    assert zonefile.returncode == 0 and "SOA" in zonefile.stdout and "ns1.example.net" in zonefile.stdout

    cli.json("foundation-blueprint", "create", "name=bare", 'foundation_types:=["manual"]')
    cli.json("foundation", "create", "type=manual", "locator=rack1-u09", "site=lab", "blueprint=bare")
    impact = cli("fleet", "impact", "rack1-u09")
    assert impact.returncode == 0 and "foundation rack1-u09" in impact.stdout and "affected: nothing" in impact.stdout
    assert cli.json("fleet", "impact", "rack1-u09")["root"]["name"] == "rack1-u09"
    assert cli("fleet", "impact", "nosuch").returncode == 4
