"""Config values that can never be built are refused when a site, blueprint, foundation or structure is saved."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from contractor.blueprint.models import BluePrint
from contractor.site.models import Site
from tests.factories import (
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

SITES = "/api/v1/sites/"


def config_errors(response) -> str:
    assert response.status_code == 400, response.data
    return " ".join(map(str, response.data["config_values"]))


def test_a_template_syntax_error_is_refused_naming_the_key(infra_client):
    """A value whose template cannot parse is a 400 on config_values naming the key; no site is written."""
    response = infra_client.post(SITES, {"name": "east", "config_values": {"motd": "Hi {{ name"}}, format="json")
    message = config_errors(response)
    assert "'motd'" in message and "not a valid template" in message
    assert not Site.objects.exists()


def test_a_template_error_in_a_class_filtered_key_is_refused(infra_client):
    """A key that only applies to some classes is still parsed when it is saved."""
    response = infra_client.post(SITES, {"name": "east", "config_values": {"kernel:vm": "{% if %}"}}, format="json")
    assert "'kernel:vm'" in config_errors(response)


def test_a_reference_cycle_is_refused_and_nothing_changes(infra_client):
    """Values referring to each other in a loop are refused on update; the stored values stay."""
    SiteFactory(name="east", config_values={"a": "x"})
    body = {"config_values": {"a": "{{ b }}", "b": "{{ a }}"}}
    message = config_errors(infra_client.patch(f"{SITES}east/", body, format="json"))
    assert "cycle: a -> b -> a" in message and "site:east" in message
    assert Site.objects.get(name="east").config_values == {"a": "x"}


def test_appending_a_string_to_an_inherited_list_is_refused(infra_client):
    """`>key` with a string under a parent's list names the key, the problem and the layer."""
    SiteFactory(name="root", config_values={"dns_servers": ["10.0.0.1"]})
    body = {"name": "east", "parent": "root", "config_values": {">dns_servers": "10.0.0.2"}}
    message = config_errors(infra_client.post(SITES, body, format="json"))
    assert "Cannot append a string to the list value of config key 'dns_servers' in layer site:east." in message
    assert not Site.objects.filter(name="east").exists()


def test_changing_a_parent_that_breaks_a_child_is_refused(infra_client):
    """A site's new values are checked against every site below it, and the error names the broken one."""
    root = SiteFactory(name="root", config_values={"dns_servers": ["10.0.0.1"]})
    mid = SiteFactory(name="mid", parent=root)
    SiteFactory(name="leaf", parent=mid, config_values={">dns_servers": ["10.0.0.2"]})
    message = config_errors(infra_client.patch(f"{SITES}root/", {"config_values": {"dns_servers": "x"}}, format="json"))
    assert "leaf" in message and "dns_servers" in message
    assert Site.objects.get(name="root").config_values == {"dns_servers": ["10.0.0.1"]}


def test_a_value_that_fails_only_for_some_targets_is_accepted(infra_client):
    """A template that renders only where a structure's attributes exist is not refused on a site."""
    body = {"name": "east", "config_values": {"port": "{{ _structure_id + 8000 }}"}}
    assert infra_client.post(SITES, body, format="json").status_code == 201


def test_a_blueprint_conflicting_with_its_parent_is_refused(infra_client):
    """A blueprint's values are merged over its lineage when it is saved."""
    StructureBluePrintFactory(name="linux", config_values={"packages": ["openssh"]})
    body = {"name": "web", "parents": ["linux"], "config_values": {">packages": "nginx"}}
    message = config_errors(infra_client.post("/api/v1/structure-blueprints/", body, format="json"))
    assert "'packages'" in message and "blueprint:web" in message
    assert not BluePrint.objects.filter(name="web").exists()


def test_a_new_parent_that_conflicts_is_refused(infra_client):
    """Changing only the parents re-checks the blueprint's values against the new lineage."""
    StructureBluePrintFactory(name="linux", config_values={"packages": "openssh"})
    StructureBluePrintFactory(name="web", config_values={">packages": ["nginx"]})
    message = config_errors(
        infra_client.patch("/api/v1/structure-blueprints/web/", {"parents": ["linux"]}, format="json")
    )
    assert "'packages'" in message
    assert BluePrint.objects.get(name="web").parent_list() == []


def test_a_structure_conflicting_with_its_site_is_refused(builder_client):
    """A structure's own values are merged over its blueprints and site chain when it is saved."""
    fbp = FoundationBluePrintFactory(name="metal", foundation_types=["manual"])
    StructureBluePrintFactory(name="web", foundation_blueprints=[fbp])
    SiteFactory(name="east", config_values={"dns_servers": ["10.0.0.1"]})
    ManualFoundationFactory(locator="node-1", site=Site.objects.get(name="east"), blueprint=fbp)
    body = {"hostname": "web1", "site": "east", "blueprint": "web", "foundation": "node-1"}
    body["config_values"] = {"-dns_servers": 5, "<dns_servers": "10.0.0.9"}
    message = config_errors(builder_client.post("/api/v1/structures/", body, format="json"))
    assert "Cannot prepend a string to the list value of config key 'dns_servers' in layer structure." in message


def test_a_foundation_whose_blueprint_and_site_conflict_is_refused(builder_client):
    """A foundation is where a foundation blueprint meets a site chain; the pair is checked when it is saved."""
    FoundationBluePrintFactory(name="metal", foundation_types=["manual"], config_values={"ntp": ["a"]})
    SiteFactory(name="east", config_values={">ntp": "b"})
    body = {"type": "manual", "locator": "node-1", "site": "east", "blueprint": "metal"}
    message = config_errors(builder_client.post("/api/v1/foundations/", body, format="json"))
    assert "'ntp'" in message and "site:east" in message


def test_the_admin_refuses_a_bad_config_and_saves_nothing(client, make_user):
    """The admin's site form shows the problem on config_values and keeps the stored values."""
    client.force_login(make_user("root", superuser=True))
    site = SiteFactory(name="east", config_values={"a": "1"})
    response = client.post(
        reverse("admin:site_site_change", args=[site.pk]),
        {"name": "east", "description": "", "config_values": '{"a": "{{ a }}"}'},
    )
    assert response.status_code == 200
    assert "cycle: a -> a" in " ".join(response.context["adminform"].form.errors["config_values"])
    site.refresh_from_db()
    assert site.config_values == {"a": "1"}


def test_loading_a_design_refuses_a_bad_config(tmp_path):
    """load_blueprints names the object and config_values, and writes nothing."""
    path = tmp_path / "design.toml"
    path.write_text('[[sites]]\nname = "a"\nconfig_values = { motd = "{{ oops" }\n')
    with pytest.raises(CommandError) as info:
        call_command("load_blueprints", str(path), stdout=StringIO())
    assert "sites 'a': config_values:" in str(info.value) and "'motd'" in str(info.value)
    assert not Site.objects.exists()


@pytest.fixture
def classed_structure():
    """A structure whose site appends a string to a list only for `vm` foundations: fails for VMs only."""
    fbp = FoundationBluePrintFactory(name="metal", config_values={"dns:vm": ["10.0.0.1"]})
    site = SiteFactory(name="east", config_values={">dns": "10.0.0.2"})
    foundation = ManualFoundationFactory(locator="vm-1", site=site, blueprint=fbp, class_list=["vm"])
    return StructureFactory(hostname="web1", site=site, foundation=foundation)


def test_a_target_dependent_failure_names_the_key_and_layer_at_read_time(viewer_client, classed_structure):
    """Where a value can only fail for some targets, reading the config names the key and the layer."""
    response = viewer_client.get(f"/api/v1/structures/{classed_structure.pk}/config/")
    assert response.status_code == 400
    assert "config key 'dns' in layer site:east" in response.data["config"][0]


def test_a_render_error_at_read_time_names_the_layer(viewer_client):
    """A template that fails on this target names the key and the layer it was set in."""
    structure = StructureFactory(site=SiteFactory(name="east", config_values={"port": "{{ _hostname + 1 }}"}))
    response = viewer_client.get(f"/api/v1/structures/{structure.pk}/config/")
    assert response.status_code == 400
    assert "'port' (from layer site:east) could not be rendered" in response.data["config"][0]


@pytest.fixture
def layered():
    root = SiteFactory(name="root", config_values={"dns": ["10.0.0.1"], "db_password": "hunter2", "ntp": "pool"})
    east = SiteFactory(name="east", parent=root, config_values={">dns": ["10.0.0.2"], "mirror": "http://{{ ntp }}"})
    fbp = FoundationBluePrintFactory(name="metal", config_values={"ntp": "bp-ntp", "kernel": "generic"})
    foundation = ManualFoundationFactory(locator="node-1", site=east, blueprint=fbp)
    return StructureFactory(hostname="web1", site=east, foundation=foundation, config_values={"ntp": "own"})


def test_structure_config_layers_show_where_each_value_came_from(infra_client, layered):
    """`?layers=1` gives each key its rendered value, the last layer that set it and every layer that shaped it."""
    data = infra_client.get(f"/api/v1/structures/{layered.pk}/config/?layers=1").data
    dns = {"value": ["10.0.0.1", "10.0.0.2"], "layer": "site:east", "layers": ["site:root", "site:east"]}
    assert data["dns"] == dns
    assert data["ntp"] == {"value": "own", "layer": "structure", "layers": ["structure"]}
    assert data["mirror"]["value"] == "http://own" and data["mirror"]["layer"] == "site:east"
    assert data["kernel"]["layer"] == "blueprint:metal"
    assert data["_hostname"] == {"value": "web1", "layer": "attributes:structure", "layers": ["attributes:structure"]}
    assert data["__contractor_host"]["layer"] == "globals"
    assert data["db_password"]["value"] == "hunter2"


def test_foundation_config_layers_redact_secrets_as_the_plain_config_does(viewer_client, layered):
    """Without user.view_secrets a secret's value is redacted; its layer is still shown."""
    data = viewer_client.get(f"/api/v1/foundations/{layered.foundation.locator}/config/?layers=1").data
    plain = viewer_client.get(f"/api/v1/foundations/{layered.foundation.locator}/config/").data
    assert data["db_password"] == {"value": plain["db_password"], "layer": "site:root", "layers": ["site:root"]}
    assert plain["db_password"] != "hunter2"
    assert data["ntp"]["layer"] == "site:root" and data["ntp"]["layers"] == ["site:root"]
    assert {key: entry["value"] for key, entry in data.items()} == plain


def test_layers_takes_a_boolean(viewer_client, layered):
    """An unreadable `layers` value is a 400 naming the parameter."""
    response = viewer_client.get(f"/api/v1/structures/{layered.pk}/config/?layers=maybe")
    assert response.status_code == 400 and "layers" in response.data


def test_a_value_that_breaks_the_template_bounds_is_refused_when_saved(infra_client):
    """`{{ 3 ** (3 ** 16) }}` is a 400 on config_values naming the key, so no worker meets it later."""
    body = {"name": "east", "config_values": {"motd": "{{ 3 ** (3 ** 16) }}"}}
    message = config_errors(infra_client.post(SITES, body, format="json"))
    assert "'motd'" in message and "template bound" in message
    assert not Site.objects.exists()


def test_a_blueprint_value_that_loops_too_long_is_refused_when_saved(infra_client):
    """A loop past the step bound is refused on a blueprint too; a value within the bounds is accepted."""
    looping = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    body = {"name": "web", "config_values": {"slow": looping}}
    message = config_errors(infra_client.post("/api/v1/structure-blueprints/", body, format="json"))
    assert "'slow'" in message and "steps" in message
    body["config_values"] = {"fine": "{% for i in range(3) %}{{ i }}{% endfor %}"}
    assert infra_client.post("/api/v1/structure-blueprints/", body, format="json").status_code == 201
