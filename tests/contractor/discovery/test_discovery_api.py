"""The discovery image's boot endpoint (/boot/discovery/) and the /api/v1/discovered/ API with its actions."""

import pytest

from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, RealNetworkInterfaceFactory

pytestmark = pytest.mark.django_db

MAC = "52:54:00:bb:00:01"
FACTS = {"cpu_count": 2, "memory_mb": 1985, "interfaces": [{"name": "eth0", "mac": MAC}], "disks": [{"name": "vda"}]}


def post_report(client, body):
    return client.post("/boot/discovery/", body, content_type="application/json")


def test_the_image_reports_and_polls_without_credentials(anon_client):
    """POST records and answers what to do; GET ?mac= polls; a matched machine is told to power off."""
    answer = post_report(anon_client, {"mac": MAC, "facts": FACTS})
    assert answer.status_code == 200 and answer.json()["action"] == "wait" and answer.json()["state"] == "new"
    assert anon_client.get("/boot/discovery/", {"mac": MAC}).json()["action"] == "wait"
    assert anon_client.get("/boot/discovery/", {"mac": "52:54:00:00:00:99"}).status_code == 404
    RealNetworkInterfaceFactory(mac="52:54:00:bb:00:02")
    other = post_report(anon_client, {"mac": "52:54:00:bb:00:02", "facts": FACTS})
    assert (other.json()["state"], other.json()["action"]) == ("matched", "poweroff")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"facts": FACTS}, "mac"),
        ({"mac": "zz", "facts": FACTS}, "mac"),
        ({"mac": MAC, "facts": {"memory_mb": "lots"}}, "facts.memory_mb"),
        ({"mac": MAC, "facts": FACTS, "site": "nowhere"}, "site"),
    ],
)
def test_a_bad_report_is_a_400_naming_the_field(anon_client, body, field):
    answer = post_report(anon_client, body)
    assert answer.status_code == 400 and field in answer.json()


def test_list_detail_and_filters(anon_client, viewer_client):
    """Viewers list and filter discovered machines by state and MAC; the detail has the facts."""
    post_report(anon_client, {"mac": MAC, "facts": FACTS})
    RealNetworkInterfaceFactory(mac="52:54:00:bb:00:03")
    post_report(anon_client, {"mac": "52:54:00:bb:00:03", "facts": FACTS})
    rows = viewer_client.get("/api/v1/discovered/", {"state": "new"}).data["results"]
    assert [row["mac"] for row in rows] == [MAC]
    matched = viewer_client.get("/api/v1/discovered/", {"state": "matched"}).data["results"]
    assert [row["mac"] for row in matched] == ["52:54:00:bb:00:03"] and matched[0]["foundation"]
    detail = viewer_client.get(f"/api/v1/discovered/{rows[0]['id']}/").data
    assert detail["facts"]["cpu_count"] == 2
    assert viewer_client.post(f"/api/v1/discovered/{rows[0]['id']}/assign/", {}).status_code == 403


def test_assign_and_create_foundation_actions(anon_client, builder_client):
    """A builder assigns one machine to a planned foundation; a refused assignment is a 400 on `foundation`;
    create-foundation makes a located foundation from another."""
    machine = post_report(anon_client, {"mac": MAC, "facts": FACTS}).json()
    strict = ManualFoundationFactory(
        blueprint=FoundationBluePrintFactory(hardware_requirements={"memory_mb_min": 4096})
    )
    refused = builder_client.post(f"/api/v1/discovered/{machine['id']}/assign/", {"foundation": strict.locator})
    assert refused.status_code == 400 and "memory_mb 1985 is below the minimum 4096" in refused.json()["foundation"][0]
    missing = builder_client.post(f"/api/v1/discovered/{machine['id']}/assign/", {"foundation": "nope"})
    assert missing.status_code == 400 and "foundation" in missing.json()
    planned = ManualFoundationFactory()
    assigned = builder_client.post(f"/api/v1/discovered/{machine['id']}/assign/", {"foundation": planned.locator})
    assert assigned.status_code == 200 and assigned.json()["state"] == "assigned"
    second = post_report(anon_client, {"mac": "52:54:00:bb:00:04", "facts": FACTS}).json()
    created = builder_client.post(
        f"/api/v1/discovered/{second['id']}/create-foundation/",
        {"locator": "found-9", "blueprint": planned.blueprint.name, "site": planned.site.name},
        format="json",
    )
    assert created.status_code == 201 and created.json()["foundation"] == "found-9"


@pytest.fixture
def discovery_image(settings, tmp_path):
    """A boot-files folder with a (fake-content) discovery image: only its presence matters to the script."""
    (tmp_path / "contractor-installer").mkdir()
    (tmp_path / "contractor-installer" / "vmlinuz").write_bytes(b"kernel")
    settings.CONTRACTOR_BOOT_FILES = str(tmp_path)
    settings.CONTRACTOR_HOST = "http://10.0.0.1:8000"
    return tmp_path


def test_an_unknown_mac_gets_the_discovery_image(anon_client, discovery_image):
    """/boot/script/?mac= for a MAC nothing is built on boots the discovery kernel with discovery= and its MAC."""
    script = anon_client.get("/boot/script/", {"mac": "52-54-00-BB-00-09"}).content.decode()
    assert script.startswith("#!ipxe\n")
    assert "kernel http://10.0.0.1:8000/boot/files/contractor-installer/vmlinuz" in script
    assert "discovery=http://10.0.0.1:8000/boot/discovery/ mac=52:54:00:bb:00:09" in script
    assert "initrd http://10.0.0.1:8000/boot/files/contractor-installer/initrd.img" in script
    assert anon_client.get("/boot/script/", {"mac": "not a mac"}).status_code == 404
    assert anon_client.get("/boot/script/").status_code == 404


def test_no_discovery_without_the_image(anon_client, settings, tmp_path):
    """No vmlinuz in the discovery folder (or discovery turned off): the unknown MAC gets the 404 as before."""
    settings.CONTRACTOR_BOOT_FILES = str(tmp_path)
    assert anon_client.get("/boot/script/", {"mac": MAC}).status_code == 404
