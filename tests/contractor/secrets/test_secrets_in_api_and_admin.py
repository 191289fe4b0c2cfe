"""Raw config values and id_maps are redacted for users without user.view_secrets in every API answer and admin
page, and a redacted marker written back keeps the stored secret."""

import json

import pytest
from django.urls import reverse

from contractor.redaction import REDACTED, is_secret_key, redact, restore_redacted
from contractor.site.models import Site
from contractor.user import roles
from tests.factories import FoundationBluePrintFactory, ManualFoundationFactory, SiteFactory, StructureFactory

pytestmark = pytest.mark.django_db

SITE_CONFIG = {"root_password": "hunter2", "api_key": "k-123", "ntp": "pool.ntp.org", "bmc": {"login": "l0g1n"}}


@pytest.fixture
def secrets_world():
    site = SiteFactory(name="prod", config_values=SITE_CONFIG)
    blueprint = FoundationBluePrintFactory(name="fbp", config_values={"ipmi_pass": "p4ss", "kernel": "generic"})
    foundation = ManualFoundationFactory(locator="node-1", site=site, blueprint=blueprint)
    foundation.id_map = {"cpu_count": 2, "bmc_credentials": {"user": "u", "password": "id-pw"}}
    foundation.save()
    structure = StructureFactory(hostname="web1", site=site, foundation=foundation)
    structure.config_values = {"db_secret": "s3cr3t", "motd": "hi"}
    structure.save()
    return site, blueprint, foundation, structure


PLANTED = (b"hunter2", b"k-123", b"p4ss", b"id-pw", b"s3cr3t")


def _urls(foundation, structure):
    return [
        "/api/v1/sites/",
        "/api/v1/sites/prod/",
        "/api/v1/foundation-blueprints/",
        "/api/v1/foundation-blueprints/fbp/",
        "/api/v1/foundations/",
        "/api/v1/foundations/node-1/",
        "/api/v1/structures/",
        f"/api/v1/structures/{structure.pk}/",
        "/api/v1/sites/prod/config/",
        f"/api/v1/structures/{structure.pk}/config/",
        f"/api/v1/structures/{structure.pk}/config/?layers=1",
        "/api/v1/foundations/node-1/config/",
    ]


def test_no_planted_secret_reaches_a_viewer_or_builder_through_the_api(viewer_client, builder_client, secrets_world):
    """Lists, details and config endpoints of sites, blueprints, foundations and structures hide every secret."""
    _, _, foundation, structure = secrets_world
    for client in (viewer_client, builder_client):
        for url in _urls(foundation, structure):
            response = client.get(url)
            assert response.status_code == 200, (url, response.content)
            for planted in PLANTED:
                assert planted not in response.content, (url, planted)
    site = viewer_client.get("/api/v1/sites/prod/").json()
    assert site["config_values"] == {**SITE_CONFIG, "root_password": REDACTED, "api_key": REDACTED}
    found = viewer_client.get("/api/v1/foundations/node-1/").json()
    assert found["id_map"] == {"cpu_count": 2, "bmc_credentials": REDACTED}


def test_a_secret_viewer_reads_the_raw_values(infra_client, secrets_world):
    """user.view_secrets shows config values and id_maps as stored."""
    assert infra_client.get("/api/v1/sites/prod/").json()["config_values"] == SITE_CONFIG
    assert infra_client.get("/api/v1/foundations/node-1/").json()["id_map"]["bmc_credentials"]["password"] == "id-pw"


def test_a_builder_writing_back_the_marker_keeps_the_secret(builder_client, secrets_world):
    """A PATCH that sends the redacted values back changes what it changes and keeps every stored secret."""
    _, _, foundation, structure = secrets_world
    shown = builder_client.get(f"/api/v1/structures/{structure.pk}/").json()["config_values"]
    assert shown == {"db_secret": REDACTED, "motd": "hi"}
    response = builder_client.patch(
        f"/api/v1/structures/{structure.pk}/", {"config_values": {**shown, "motd": "hello"}}, format="json"
    )
    assert response.status_code == 200, response.content
    structure.refresh_from_db()
    assert structure.config_values == {"db_secret": "s3cr3t", "motd": "hello"}
    id_map = builder_client.get("/api/v1/foundations/node-1/").json()["id_map"]
    response = builder_client.patch(
        "/api/v1/foundations/node-1/", {"id_map": {**id_map, "cpu_count": 4}}, format="json"
    )
    assert response.status_code == 200, response.content
    foundation.refresh_from_db()
    assert foundation.id_map == {"cpu_count": 4, "bmc_credentials": {"user": "u", "password": "id-pw"}}


def test_the_marker_where_nothing_is_stored_is_a_400_naming_the_place(builder_client, secrets_world):
    """A marker under a key that holds no secret is refused, naming config_values and the key."""
    structure = secrets_world[3]
    response = builder_client.patch(
        f"/api/v1/structures/{structure.pk}/", {"config_values": {"new_password": REDACTED}}, format="json"
    )
    assert response.status_code == 400
    assert "new_password" in response.json()["config_values"][0]


def test_admin_pages_hide_secrets_and_a_save_keeps_them(staff_login, secrets_world):
    """The change forms (and read-only views) of sites, blueprints, foundations and structures show no secret to a
    viewer or builder; a builder saving a structure's form keeps its secret."""
    site, blueprint, foundation, structure = secrets_world
    pages = [
        reverse("admin:site_site_change", args=[site.pk]),
        reverse("admin:blueprint_foundationblueprint_change", args=[blueprint.pk]),
        reverse("admin:manual_manualfoundation_change", args=[foundation.pk]),
        reverse("admin:building_structure_change", args=[structure.pk]),
        reverse("admin:site_site_history", args=[site.pk]),
        reverse("admin:building_structure_history", args=[structure.pk]),
    ]
    for name, role in (("viewer", roles.VIEWER), ("builder", roles.BUILDER)):
        client = staff_login(name, role)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            for planted in PLANTED:
                assert planted not in response.content, (name, page, planted)
    form = client.get(reverse("admin:building_structure_change", args=[structure.pk])).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["config_values"] = json.dumps({"db_secret": REDACTED, "motd": "from the admin"})
    response = client.post(reverse("admin:building_structure_change", args=[structure.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    structure.refresh_from_db()
    assert structure.config_values == {"db_secret": "s3cr3t", "motd": "from the admin"}


@pytest.mark.parametrize(
    "key",
    ["root_password", "rootPassword", "ROOT_PASSWD", "ipmi_pass", "vault_secret", "API_TOKEN", "api_key", "apikey",
     "ssh_private_key", "aws_credentials", "snmp_community", "tokens_seen", ">root_password:vm", "X-Auth-Token",
     "_ipmi_password", "luks_passphrase"],
)  # fmt: skip
def test_secret_words_match_on_key_components(key):
    """password, passwd, pass, secret, token, key, private, credential, community: whole components, any case."""
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["keyboard_layout", "compass_heading", "passthrough", "hostname", "secret_keys", "installer_secrets"]
)
def test_words_inside_ordinary_names_do_not_count(key):
    """A short word inside a longer one is not a secret (`keyboard`, `compass`); secret_keys lists names."""
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["ssh_authorized_keys", "ssh_public_key", "sshPubKey", "host_key_fingerprints", "publickey"]
)
def test_public_keys_are_not_secret(key):
    """An operator reads the authorized and public keys a machine gets: `key` beside `public`/`authorized` is public."""
    assert not is_secret_key(key)


@pytest.mark.parametrize("key", ["public_key_password", "authorized_token", "pub_secret", "private_key", "ssh_key"])
def test_a_public_key_with_another_secret_word_is_secret(key):
    """Only `key` is excused by `public`: a password, token or secret beside it is still secret, as is a bare key."""
    assert is_secret_key(key)


def test_secret_keys_can_still_declare_a_public_key_secret():
    """A layer that lists a public-looking key in `secret_keys` makes it secret after all."""
    assert is_secret_key("ssh_authorized_keys", ["ssh_authorized_*"])


def test_declared_secret_keys_are_secret_everywhere(viewer_client, secrets_world):
    """A site's `secret_keys` (names or patterns) makes those keys secret in every view, the parent's too."""
    site = secrets_world[0]
    SiteFactory(name="child", parent=site, config_values={">secret_keys": ["bmc", "ntp*"]})
    body = viewer_client.get("/api/v1/sites/prod/").json()
    assert body["config_values"]["bmc"] == REDACTED and body["config_values"]["ntp"] == REDACTED
    assert viewer_client.get("/api/v1/sites/child/config/").json()["bmc"] == REDACTED
    assert b"l0g1n" not in viewer_client.get("/api/v1/sites/").content


@pytest.mark.parametrize("key", ["-secret_keys", "~secret_keys", "secret_keys:vm"])
def test_secret_keys_only_grow(key):
    """A layer cannot remove, mask or class-filter secret_keys: that would make a secret visible again."""
    from django.core.exceptions import ValidationError

    site = Site(name="s", config_values={key: ["x"]})
    with pytest.raises(ValidationError) as raised:
        site.full_clean()
    assert "only grows" in str(raised.value.message_dict["config_values"])


def test_secret_keys_belong_to_sites_and_blueprints(builder_client, secrets_world):
    """A structure cannot declare secret_keys; the 400 names config_values."""
    structure = secrets_world[3]
    response = builder_client.patch(
        f"/api/v1/structures/{structure.pk}/", {"config_values": {"secret_keys": ["motd"]}}, format="json"
    )
    assert response.status_code == 400
    assert "site's or a blueprint's" in str(response.json()["config_values"])


def test_restore_follows_keys_and_list_positions():
    """Markers are replaced by the value at the same key path or list index."""
    stored = {"users": [{"name": "a", "password": "pa"}, {"name": "b", "password": "pb"}], "x": 1}
    shown = redact(stored)
    assert restore_redacted({**shown, "x": 2}, stored) == {**stored, "x": 2}
