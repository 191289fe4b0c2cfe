"""Merged config of real sites, blueprints, foundations and structures: layers, attributes and secrets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractor.building.models import Foundation, Structure
from contractor.configuration import ConfigError, config_layers, merged_config
from contractor.configuration.redaction import REDACTED
from plugins.manual.models import ManualFoundation
from tests.factories import AddressFactory, RealNetworkInterfaceFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

GLOBALS = {"__contractor_host": "http://contractor.test", "__pxe_location": "http://contractor.test/pxe/"}


@pytest.fixture(autouse=True)
def fixed_globals(settings):
    settings.CONTRACTOR_GLOBALS = dict(GLOBALS)


def layer_names(target):
    return [name for name, _ in config_layers(target)]


def test_site_config_is_its_chain_root_first_then_globals(world):
    """A site sees its ancestors' values root first (its own last), then the globals; class keys are skipped."""
    assert layer_names(world.east) == ["site:global", "site:prod", "site:prod-east", "globals"]
    assert merged_config(world.east, reveal_secrets=True) == {
        "domain_name": "example.com",
        "dns_servers": ["10.0.0.1", "10.0.0.2"],
        "root_password": "s3cret",
        **GLOBALS,
    }


def test_blueprint_config_follows_its_lineage_parents_first(world):
    """A blueprint sees its lineage (a diamond's shared parent once, first) then the globals."""
    assert layer_names(world.web_server) == [
        "blueprint:linux",
        "blueprint:web",
        "blueprint:monitored",
        "blueprint:web-server",
        "globals",
    ]
    config = merged_config(world.web_server, reveal_secrets=False)
    assert config["packages"] == ["openssh", "nginx", "collectd"]
    assert config["http_port"] == 8080
    assert config["mirror"] == "http://mirror.example.com/debian"
    assert merged_config(world.fbp_metal, reveal_secrets=False) == {
        "kernel": "generic",
        "packages": ["base", "ipmitool"],
        **GLOBALS,
    }


def test_foundation_config_layers_and_attributes(world):
    """A foundation sees its blueprint lineage, its site chain and its own attributes, then the globals."""
    assert layer_names(world.foundation) == [
        "blueprint:fbp-base",
        "blueprint:fbp-metal",
        "site:global",
        "site:prod",
        "site:prod-east",
        "attributes:foundation",
        "globals",
    ]
    config = merged_config(world.foundation, reveal_secrets=True)
    assert config["packages"] == ["base", "ipmitool"]
    assert config["dns_servers"] == ["10.0.0.1", "10.0.0.2"]
    assert {key: value for key, value in config.items() if key.startswith("_") and not key.startswith("__")} == {
        "_foundation_id": world.foundation.pk,
        "_foundation_locator": "node-0001",
        "_foundation_type": "manual",
        "_foundation_state": "planned",
        "_foundation_class_list": ["metal", "Dell"],
        "_foundation_id_map": {"serial": "ABC123"},
        "_foundation_interface_list": ["eth0", "eth1"],
        "_provisioning_interface": "eth0",
        "_provisioning_interface_mac": "52:54:00:00:00:01",
        "_site": "prod-east",
        "_foundation_blueprint": "fbp-metal",
    }


def test_structure_config_layers_in_priority_order(world):
    """A structure's layers: both blueprint lineages, its site chain, attributes, its own values, globals."""
    assert layer_names(world.structure) == [
        "blueprint:fbp-base",
        "blueprint:fbp-metal",
        "blueprint:linux",
        "blueprint:web",
        "blueprint:monitored",
        "blueprint:web-server",
        "site:global",
        "site:prod",
        "site:prod-east",
        "attributes:foundation",
        "attributes:structure",
        "structure",
        "globals",
    ]
    layers = dict(config_layers(world.structure))
    assert layers["structure"] == {"<packages": ["first"], "motd": "Welcome to {{ _fqdn }}"}
    assert layers["site:prod"] == {">dns_servers": ["10.0.0.2"], "root_password": "s3cret"}
    assert layers["globals"] == GLOBALS


def test_structure_merged_config_combines_every_layer(world):
    """Values from every layer meet: a replace in a blueprint, appends, the structure's prepend, templates."""
    config = merged_config(world.structure, reveal_secrets=True)
    assert config["packages"] == ["first", "openssh", "nginx", "collectd"]
    assert config["kernel"] == "generic"
    assert config["dns_servers"] == ["10.0.0.1", "10.0.0.2"]
    assert "ntp" not in config
    assert config["_hostname"] == "web1"
    assert config["_fqdn"] == "web1.example.com"
    assert config["motd"] == "Welcome to web1.example.com"
    assert config["_structure_id"] == world.structure.pk
    assert config["_structure_config_uuid"] == str(world.structure.config_uuid)
    assert config["_structure_state"] == "planned"
    assert config["_structure_blueprint"] == "web-server"
    assert config["_foundation_locator"] == "node-0001"
    assert config["_primary_address"] == "10.1.0.10"
    assert not any(key[0] in "<>-~" or ":" in key for key in config)


def test_structure_interface_map(world):
    """The interface map joins real interfaces, static addresses with their aliases, and aggregates."""
    interface_map = merged_config(world.structure, reveal_secrets=True)["_interface_map"]
    assert interface_map["eth0"] == {
        "mac": "52:54:00:00:00:01",
        "address": "10.1.0.10",
        "netmask": "255.255.255.0",
        "prefix": 24,
        "gateway": "10.1.0.1",
        "network": "prod-net",
        "vlan": 12,
        "mtu": 9000,
        "is_provisioning": True,
        "aliases": [
            {
                "address": "10.1.0.11",
                "netmask": "255.255.255.0",
                "prefix": 24,
                "gateway": "10.1.0.1",
                "network": "prod-net",
                "vlan": 12,
                "mtu": 9000,
            }
        ],
    }
    assert interface_map["eth1"]["address"] is None and interface_map["eth1"]["is_provisioning"] is False
    assert interface_map["bond0"] == {
        "mac": "52:54:00:00:00:02",
        "address": None,
        "netmask": None,
        "prefix": None,
        "gateway": None,
        "network": None,
        "vlan": None,
        "mtu": None,
        "is_provisioning": False,
        "aliases": [],
        "primary": "eth1",
        "members": ["eth0", "eth1"],
        "mode": "802.3ad",
        "parameters": {"miimon": 100},
    }


def test_structure_fqdn_uses_the_merged_domain_name(world):
    """`_fqdn` takes the domain name as finally merged (the structure's own wins); without one it is the hostname."""
    world.structure.config_values = {"domain_name": "{{ _site }}.corp"}
    world.structure.save()
    assert merged_config(world.structure, reveal_secrets=True)["_fqdn"] == "web1.prod-east.corp"
    world.structure.config_values = {"~domain_name": None}
    world.structure.save()
    assert merged_config(world.structure, reveal_secrets=True)["_fqdn"] == "web1"


def test_class_filtered_keys_follow_the_foundations_class_list(world):
    """`<dns_servers:vm` in the site applies to a structure only once its foundation has class vm."""
    assert merged_config(world.structure, reveal_secrets=True)["dns_servers"] == ["10.0.0.1", "10.0.0.2"]
    world.foundation.class_list = ["vm"]
    world.foundation.save()
    structure = Structure.objects.get(pk=world.structure.pk)
    assert merged_config(structure, reveal_secrets=True)["dns_servers"] == ["10.9.9.9", "10.0.0.1", "10.0.0.2"]


def test_secrets_are_redacted_unless_revealed(world):
    """Without reveal_secrets a secret-named value is masked in every kind of target; with it, shown."""
    for target in (world.east, world.foundation, world.structure):
        assert merged_config(target, reveal_secrets=False)["root_password"] == REDACTED
        assert merged_config(target, reveal_secrets=True)["root_password"] == "s3cret"


def test_templated_copy_of_a_secret_is_hidden_whatever_its_key(world):
    """Redaction runs after templating and follows templates: a plain-named value built from a secret is hidden."""
    world.structure.config_values = {"db_password": "{{ root_password }}", "login": "root:{{ root_password }}"}
    world.structure.save()
    config = merged_config(world.structure, reveal_secrets=False)
    assert config["db_password"] == REDACTED
    assert config["login"] == REDACTED
    assert merged_config(world.structure, reveal_secrets=True)["login"] == "root:s3cret"


def test_globals_cannot_be_overridden(world):
    """The globals layer comes last, so a structure cannot change `__contractor_host`."""
    world.structure.config_values = {"__contractor_host": "http://evil", "boot": "{{ __contractor_host }}/boot"}
    world.structure.save()
    config = merged_config(world.structure, reveal_secrets=True)
    assert config["__contractor_host"] == "http://contractor.test"
    assert config["boot"] == "http://contractor.test/boot"


def test_globals_are_read_at_call_time(world, settings):
    """Changing settings.CONTRACTOR_GLOBALS changes the next merged config."""
    settings.CONTRACTOR_GLOBALS = {"__contractor_host": "http://other"}
    assert merged_config(world.top, reveal_secrets=True)["__contractor_host"] == "http://other"


def test_reference_cycle_in_stored_values_raises_config_error(world):
    """A cycle split across a site and a structure raises ConfigError naming the keys."""
    world.prod.config_values = {"a": "{{ b }}"}
    world.prod.save()
    world.structure.config_values = {"b": "x{{ a }}"}
    world.structure.save()
    with pytest.raises(ConfigError, match=r"cycle: a -> b -> a"):
        merged_config(world.structure, reveal_secrets=True)
    assert merged_config(world.prod, reveal_secrets=True)["a"] == ""


def test_modifier_type_error_names_the_stored_layer(world):
    """Appending a string to a site's list names the offending key and site layer."""
    world.east.config_values = {">dns_servers": "10.0.0.3"}
    world.east.save()
    with pytest.raises(ConfigError, match=r"'dns_servers' in layer site:prod-east"):
        merged_config(world.east, reveal_secrets=True)


def test_plugin_attributes_are_added_for_base_and_typed_foundations(world, monkeypatch):
    """Whatever the foundation type's attributes() returns joins the config, even given the base Foundation."""
    monkeypatch.setattr(ManualFoundation, "attributes", lambda self: {"_manual_location": self.location_notes})
    base = Foundation.objects.get(pk=world.foundation.pk)
    assert type(base) is Foundation
    assert merged_config(base, reveal_secrets=True)["_manual_location"] == "row 4"
    assert merged_config(world.structure, reveal_secrets=True)["_manual_location"] == "row 4"


def test_foundation_without_interfaces_has_no_provisioning_interface(world):
    """A foundation with no interfaces reports an empty interface list and no provisioning interface."""
    structure = StructureFactory(hostname="bare", site=world.east)
    config = merged_config(structure.foundation, reveal_secrets=True)
    assert config["_foundation_interface_list"] == []
    assert config["_provisioning_interface"] is None and config["_provisioning_interface_mac"] is None
    structure_config = merged_config(structure, reveal_secrets=True)
    assert structure_config["_interface_map"] == {} and structure_config["_primary_address"] is None


def test_unsupported_target_is_a_type_error(world):
    """Only sites, blueprints, foundations and structures have a config."""
    with pytest.raises(TypeError, match="No config for a Network"):
        merged_config(world.network, reveal_secrets=True)


def grow(world, start, count):
    """Add `count` interfaces, addresses and config keys to the structure and its site."""
    for index in range(start, start + count):
        name = f"eth{index + 2}"
        mac = f"52:54:00:01:{index >> 8:02x}:{index & 255:02x}"
        RealNetworkInterfaceFactory(foundation=world.foundation, name=name, mac=mac, is_provisioning=False)
        AddressFactory(
            address_block=world.block, offset=20 + index, kind="static", structure=world.structure, interface_name=name
        )
    world.east.config_values = {f"key{index}": f"{{{{ key{index + 1} }}}}" for index in range(start + count)}
    world.east.save()


def count_queries(target):
    with CaptureQueriesContext(connection) as queries:
        merged_config(target, reveal_secrets=False)
    return len(queries)


def test_structure_query_count_does_not_grow_with_interfaces_addresses_or_keys(world, django_assert_max_num_queries):
    """One merged config of a structure costs a bounded number of queries, the same at 2 and 40 items."""
    grow(world, 0, 2)
    small = count_queries(Structure.objects.get(pk=world.structure.pk))
    grow(world, 2, 40)
    large = count_queries(Structure.objects.get(pk=world.structure.pk))
    assert small == large
    with django_assert_max_num_queries(20):
        merged_config(Structure.objects.get(pk=world.structure.pk), reveal_secrets=False)


def test_site_query_count_grows_only_with_depth(world):
    """A site's config costs one query per ancestor above it, however many keys they hold (and, redacted, one for
    the declared secret_keys)."""
    leaf = SiteFactory(name="leaf", parent=world.east, config_values={f"k{index}": index for index in range(200)})
    assert count_queries(type(leaf).objects.get(pk=leaf.pk)) == 4
    assert count_queries(type(leaf).objects.get(pk=world.east.pk)) == 3
