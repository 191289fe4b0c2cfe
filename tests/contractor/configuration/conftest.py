"""A small world for config tests: a site tree, a blueprint DAG, a manual foundation and a structure on it."""

from types import SimpleNamespace

import pytest

from contractor.blueprint.models import BluePrintParent
from contractor.utilities.models import AggregatedNetworkInterface
from tests.factories import (
    AddressBlockFactory,
    AddressFactory,
    FoundationBluePrintFactory,
    ManualFoundationFactory,
    NetworkFactory,
    RealNetworkInterfaceFactory,
    SiteFactory,
    StructureBluePrintFactory,
    StructureFactory,
)


def link_parents(child, *parents):
    """Give `child` these parents, in this order."""
    for position, parent in enumerate(parents):
        BluePrintParent.objects.create(child=child, parent=parent, position=position)


@pytest.fixture
def world(db):
    """Sites global > prod > prod-east; blueprints fbp-base > fbp-metal and a diamond under web-server."""
    top = SiteFactory(
        name="global",
        config_values={"domain_name": "example.com", "dns_servers": ["10.0.0.1"], "ntp": "pool.ntp.org"},
    )
    prod = SiteFactory(name="prod", parent=top, config_values={">dns_servers": ["10.0.0.2"], "root_password": "s3cret"})
    east = SiteFactory(name="prod-east", parent=prod, config_values={"<dns_servers:vm": ["10.9.9.9"], "~ntp": None})

    fbp_base = FoundationBluePrintFactory(name="fbp-base", config_values={"kernel": "generic", "packages": ["base"]})
    fbp_metal = FoundationBluePrintFactory(name="fbp-metal", config_values={">packages": ["ipmitool"]})
    link_parents(fbp_metal, fbp_base)

    linux = StructureBluePrintFactory(
        name="linux",
        config_values={
            "packages": ["openssh"],
            "mirror_host": "mirror.example.com",
            "mirror": "http://{{ mirror_host }}/debian",
        },
    )
    web = StructureBluePrintFactory(name="web", config_values={">packages": ["nginx"], "http_port": 80})
    monitored = StructureBluePrintFactory(name="monitored", config_values={">packages": ["collectd"]})
    web_server = StructureBluePrintFactory(
        name="web-server", config_values={"http_port": 8080}, foundation_blueprints=[fbp_metal]
    )
    link_parents(web, linux)
    link_parents(monitored, linux)
    link_parents(web_server, web, monitored)

    foundation = ManualFoundationFactory(
        locator="node-0001",
        site=east,
        blueprint=fbp_metal,
        class_list=["metal", "Dell"],
        id_map={"serial": "ABC123"},
        location_notes="row 4",
    )
    network = NetworkFactory(name="prod-net", site=east, mtu=9000)
    eth0 = RealNetworkInterfaceFactory(foundation=foundation, name="eth0", mac="52:54:00:00:00:01", network=network)
    eth1 = RealNetworkInterfaceFactory(
        foundation=foundation, name="eth1", mac="52:54:00:00:00:02", is_provisioning=False
    )
    structure = StructureFactory(
        hostname="web1",
        site=east,
        foundation=foundation,
        blueprint=web_server,
        config_values={"<packages": ["first"], "motd": "Welcome to {{ _fqdn }}"},
    )
    block = AddressBlockFactory(name="prod-v4", site=east, network=network, subnet="10.1.0.0", prefix=24, vlan=12)
    AddressFactory(
        address_block=block, offset=10, kind="static", structure=structure, interface_name="eth0", is_primary=True
    )
    AddressFactory(
        address_block=block, offset=11, kind="static", structure=structure, interface_name="eth0", alias_index=1
    )
    bond = AggregatedNetworkInterface.objects.create(
        structure=structure, name="bond0", primary=eth1, mode="802.3ad", parameters={"miimon": 100}
    )
    bond.members.set([eth1, eth0])
    return SimpleNamespace(
        top=top,
        prod=prod,
        east=east,
        fbp_base=fbp_base,
        fbp_metal=fbp_metal,
        linux=linux,
        web=web,
        monitored=monitored,
        web_server=web_server,
        foundation=foundation,
        network=network,
        eth0=eth0,
        eth1=eth1,
        structure=structure,
        block=block,
    )
