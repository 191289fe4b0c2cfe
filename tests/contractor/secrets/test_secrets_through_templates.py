"""A value whose template reads a secret is itself secret: redaction cannot be bypassed through templates."""

import pytest

from contractor.configuration import merged_config, traced_config
from contractor.configuration.templating import secret_reading_keys
from contractor.redaction import REDACTED
from tests.factories import SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db


def test_keys_reading_a_secret_directly_or_through_others_are_secret():
    """A chain of templates from a secret, and attribute access into a dict holding one, are all secret."""
    config = {
        "root_password": "x",
        "motd": "Password: {{ root_password }}",
        "banner": "{{ motd | upper }}",
        "bmc": {"user": "u", "password": "p"},
        "bmc_line": "{{ bmc.password }}",
        "ntp": "pool",
        "greeting": "{{ ntp }}",
    }
    assert secret_reading_keys(config) == {"root_password", "motd", "banner", "bmc", "bmc_line"}


def test_a_builder_and_a_viewer_never_read_a_secret_through_a_template(viewer_client, builder_client):
    """`motd: "{{ root_password }}"` on a structure shows redacted in config/ (and its layers view) and to scripts;
    values built from ordinary keys still render."""
    site = SiteFactory(name="prod", config_values={"root_password": "hunter2", "ntp": "pool.ntp.org"})
    structure = StructureFactory(hostname="web1", site=site)
    response = builder_client.patch(
        f"/api/v1/structures/{structure.pk}/",
        {"config_values": {"motd": "{{ root_password }}", "login": "root:{{ motd }}", "time": "ntp={{ ntp }}"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    for client in (viewer_client, builder_client):
        for url in (
            f"/api/v1/structures/{structure.pk}/config/",
            f"/api/v1/structures/{structure.pk}/config/?layers=1",
        ):
            body = client.get(url)
            assert body.status_code == 200 and b"hunter2" not in body.content
    config = viewer_client.get(f"/api/v1/structures/{structure.pk}/config/").json()
    assert (config["motd"], config["login"], config["time"]) == (REDACTED, REDACTED, "ntp=pool.ntp.org")
    structure.refresh_from_db()
    assert merged_config(structure, reveal_secrets=False)["login"] == REDACTED
    assert traced_config(structure, reveal_secrets=False)["motd"]["value"] == REDACTED
    assert merged_config(structure, reveal_secrets=True)["login"] == "root:hunter2"
