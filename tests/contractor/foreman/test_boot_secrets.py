"""The unauthenticated boot endpoints give a machine what its installer needs: no BMC credentials, no secrets."""

import pytest

from contractor.blueprint.models import FoundationBluePrint
from contractor.boot.selectors import boot_token
from contractor.foreman.choices import JobState
from plugins.ipmi.models import IPMIFoundation
from tests.contractor.foreman.factories import JobFactory
from tests.factories import PXEFactory, RealNetworkInterfaceFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

MAC = "52:54:00:00:00:30"


@pytest.fixture
def server():
    """web1 on an IPMI server whose BMC password is "bmc-pw"; the site holds a root password and an API token."""
    site = SiteFactory(
        name="lab",
        config_values={
            "root_password": "root-pw",
            "api_token": "tok-123",
            "mirror": {"url": "http://mirror", "proxy_password": "proxy-pw"},
            "login": "root:{{ root_password }}",
            "bmc_url": "ipmi://{{ _ipmi_username }}:{{ _ipmi_password }}@{{ _ipmi_address }}",
        },
    )
    blueprint = FoundationBluePrint.objects.create(name="bp-ipmi", foundation_types=["ipmi"])
    foundation = IPMIFoundation.objects.create(
        locator="srv1", site=site, blueprint=blueprint, bmc_address="10.9.0.5", bmc_username="bmcadmin",
        bmc_password="bmc-pw",
    )  # fmt: skip
    pxe = PXEFactory(name="net", boot_script="#!ipxe\necho {{ root_password }}/{{ _ipmi_password }}/{{ login }}\n")
    RealNetworkInterfaceFactory(foundation=foundation, name="eth0", mac=MAC, pxe=pxe)
    structure = StructureFactory(site=site, foundation=foundation, hostname="web1")
    JobFactory(foundation=foundation, state=JobState.RUNNING)  # building it: the boot endpoints answer
    return structure


def boot(client, structure, what="config"):
    job = structure.foundation.jobs.get()
    return client.get(f"/boot/{boot_token(job)}/{what}/")


def mark(blueprint, *keys):
    blueprint.config_values = {**blueprint.config_values, "installer_secrets": list(keys)}
    blueprint.save()


def test_no_bmc_value_and_no_unmarked_secret_reaches_the_machine(client, server):
    """Config, script: no `_ipmi_*` key, no secret-named key, nothing built from them; the rest is there."""
    response = boot(client, server)
    assert response.status_code == 200
    config = response.json()
    assert not [key for key in config if key.startswith("_ipmi_")]
    assert {"root_password", "api_token"}.isdisjoint(config)
    assert config["mirror"] == {"url": "http://mirror"} and config["login"] == "root:"
    assert config["bmc_url"] == "ipmi://:@" and config["_hostname"] == "web1"
    for what in ("config", "script"):
        text = boot(client, server, what).content.decode()
        assert not any(value in text for value in ("bmc-pw", "10.9.0.5", "bmcadmin", "root-pw", "tok-123", "proxy-pw"))


def test_a_secret_the_blueprint_marks_for_the_installer_reaches_it(client, server):
    """`installer_secrets` in a structure blueprint lets that key through, to the config and the templates."""
    mark(server.blueprint, "root_password")
    config = boot(client, server).json()
    assert config["root_password"] == "root-pw" and config["login"] == "root:root-pw"
    assert "api_token" not in config
    assert boot(client, server, "script").content.decode() == "#!ipxe\necho root-pw//root:root-pw\n"


def test_the_foundation_blueprint_may_mark_one_too(client, server):
    mark(server.foundation.blueprint, "api_token")
    assert boot(client, server).json()["api_token"] == "tok-123"


def test_out_of_band_keys_never_pass_even_when_marked(client, server):
    """A blueprint cannot hand the BMC password to the machine: out-of-band keys are never installer secrets."""
    mark(server.blueprint, "_ipmi_password", "_ipmi_address")
    text = boot(client, server).content.decode()
    assert "bmc-pw" not in text and "10.9.0.5" not in text


@pytest.mark.parametrize("where", ["site", "structure"])
def test_only_a_blueprint_can_mark_installer_secrets(client, server, where):
    """`installer_secrets` set on a site or the structure itself is not a blueprint's word: ignored."""
    target = server.site if where == "site" else server
    target.config_values = {**target.config_values, "installer_secrets": ["root_password"]}
    target.save()
    assert "root_password" not in boot(client, server).json()


def test_the_authenticated_config_still_shows_everything_to_those_allowed(admin_client_api, server):
    """The API's config view is unchanged: an admin (who may see secrets) sees the BMC values there."""
    config = admin_client_api.get(f"/api/v1/structures/{server.pk}/config/").json()
    assert config["_ipmi_password"] == "bmc-pw" and config["root_password"] == "root-pw"
