"""The discovered-machine admin's actions: assign to a planned foundation, create a foundation, power off, reboot,
each through the same services as the API (a fingerprint refusal is shown, not applied)."""

import pytest

from contractor.building.choices import FoundationState
from contractor.discovery import services
from contractor.discovery.choices import DiscoveredAction, DiscoveredState
from contractor.discovery.models import DiscoveredMachine
from contractor.user import roles
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, SiteFactory

pytestmark = pytest.mark.django_db

URL = "/admin/discovery/discoveredmachine/"
MAC = "52:54:00:cc:00:01"
FACTS = {"cpu_count": 2, "memory_mb": 1985, "interfaces": [{"name": "eth0", "mac": MAC}], "disks": [{"name": "vda"}]}


@pytest.fixture
def operator(client, make_user):
    """The admin client, logged in as a staff infrastructure admin (who may change discovered machines)."""
    user = make_user("infra", roles.INFRA_ADMIN)
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def machine():
    return services.discovery_report(mac=MAC, facts=FACTS, site=SiteFactory(name="lab"))


def act(client, action, machines, **fields):
    body = {"action": action, "_selected_action": [m.pk for m in machines], "index": 0, **fields}
    return client.post(URL, body, follow=True)


def shown(answer) -> list[str]:
    return [str(m) for m in answer.context["messages"]]


def test_the_list_offers_the_actions(operator, machine):
    page = operator.get(URL)
    assert page.status_code == 200
    for action in ("assign_to_foundation", "create_foundation", "power_off", "reboot", "retry_match"):
        assert f'value="{action}"' in page.text
    assert 'name="foundation"' in page.text and 'name="blueprint"' in page.text


def test_assign_locates_the_chosen_planned_foundation(operator, machine):
    foundation = ManualFoundationFactory(locator="rack1-node1")
    answer = act(operator, "assign_to_foundation", [machine], foundation="rack1-node1")
    machine.refresh_from_db()
    foundation.refresh_from_db()
    assert (machine.state, machine.foundation_id) == (DiscoveredState.ASSIGNED, foundation.pk)
    assert machine.action == DiscoveredAction.POWEROFF
    assert foundation.state == FoundationState.LOCATED and foundation.id_map["cpu_count"] == 2
    assert any("assigned to rack1-node1" in m for m in shown(answer))


def test_assign_refused_by_the_fingerprint_shows_why_and_locates_nothing(operator, machine):
    big = FoundationBluePrintFactory(name="big", hardware_requirements={"memory_mb_min": 4096})
    foundation = ManualFoundationFactory(locator="big1", blueprint=big)
    answer = act(operator, "assign_to_foundation", [machine], foundation="big1")
    foundation.refresh_from_db()
    assert foundation.state == FoundationState.PLANNED
    assert any("memory_mb 1985 is below the minimum 4096" in m for m in shown(answer)), shown(answer)


def test_assign_without_a_foundation_says_so(operator, machine):
    answer = act(operator, "assign_to_foundation", [machine])
    assert "This action needs foundation." in shown(answer)
    machine.refresh_from_db()
    assert machine.state == DiscoveredState.NEW


def test_create_foundation_makes_one_with_the_machines_interface(operator, machine):
    FoundationBluePrintFactory(name="any")
    answer = act(operator, "create_foundation", [machine], locator="found1", blueprint="any", foundation_type="manual")
    machine.refresh_from_db()
    foundation = machine.foundation
    assert foundation is not None, shown(answer)
    assert (foundation.locator, foundation.site.name, foundation.state) == ("found1", "lab", FoundationState.LOCATED)
    assert [(i.name, i.mac, i.is_provisioning) for i in foundation.interfaces.all()] == [("eth0", MAC, True)]


def test_power_off_and_reboot_tell_the_machine_at_its_next_poll(operator, machine, client):
    act(operator, "reboot", [machine])
    assert DiscoveredMachine.objects.get(pk=machine.pk).action == DiscoveredAction.REBOOT
    assert client.get("/boot/discovery/", {"mac": MAC}).json()["action"] == "reboot"
    act(operator, "power_off", [machine])
    assert DiscoveredMachine.objects.get(pk=machine.pk).action == DiscoveredAction.POWEROFF


def test_a_viewer_cannot_run_the_actions(client, make_user, machine):
    user = make_user("viewer", roles.VIEWER)
    user.is_staff = True
    user.save()
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200 and 'value="reboot"' not in page.text
    act(client, "reboot", [machine])
    assert DiscoveredMachine.objects.get(pk=machine.pk).action == DiscoveredAction.WAIT
