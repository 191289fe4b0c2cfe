"""A plugin's SecretCharField is secret everywhere: API, admin (for viewers too), audit log, console, config."""

import pytest
from django.urls import reverse

from contractor.plugins import foundation_types
from contractor.redaction import REDACTED, SecretCharField, is_secret_key
from contractor.user import roles
from plugins.ipmi.models import IPMIFoundation
from tests.factories import FoundationBluePrintFactory, SiteFactory

pytestmark = pytest.mark.django_db
MARKER = "planted-Secret-9f3a"


@pytest.fixture
def bmc():
    blueprint = FoundationBluePrintFactory(name="bp-ipmi", foundation_types=["ipmi"])
    foundation = IPMIFoundation(
        locator="srv1", site=SiteFactory(name="lab"), blueprint=blueprint, bmc_address="10.0.0.5",
        bmc_username="admin", bmc_password=MARKER,
    )  # fmt: skip
    foundation.full_clean()
    foundation.save()
    return foundation


def test_ipmi_declares_its_password_a_secret_field():
    """The BMC password is a SecretCharField, the mechanism every plugin uses."""
    assert isinstance(IPMIFoundation._meta.get_field("bmc_password"), SecretCharField)


def test_every_foundation_types_secret_fields_reach_config_only_under_secret_keys(db):
    """For each installed type, a value put in a secret field shows in its config attributes only under a key that
    names a secret (so every config view redacts it)."""
    for name, model in foundation_types().items():
        foundation = model()
        fields = [field.name for field in model._meta.concrete_fields if isinstance(field, SecretCharField)]
        if not fields:
            continue  # nothing secret to follow (and a libvirt VM's attributes need its complex)
        for field in fields:
            setattr(foundation, field, f"{MARKER}-{field}")
        leaked = {key for key, value in foundation.attributes().items() if str(value).startswith(MARKER)} - {
            key for key in foundation.attributes() if is_secret_key(key)
        }
        assert not leaked, (name, leaked)


def test_a_viewer_never_sees_the_password_in_the_admin(staff_login, bmc):
    """The read-only change page of a viewer shows the field as set, not its value; history neither."""
    client = staff_login("viewer", roles.VIEWER)
    for page in (
        reverse("admin:ipmi_ipmifoundation_change", args=[bmc.pk]),
        reverse("admin:ipmi_ipmifoundation_history", args=[bmc.pk]),
    ):
        response = client.get(page)
        assert response.status_code == 200
        assert MARKER.encode() not in response.content
    assert REDACTED.encode() in client.get(reverse("admin:ipmi_ipmifoundation_change", args=[bmc.pk])).content


def test_the_audit_log_masks_the_password(admin_client_api, bmc):
    """The object-change records of the foundation hold no password, before or after."""
    bmc.bmc_password = MARKER + "-new"
    bmc.save()
    response = admin_client_api.get("/api/v1/object-changes/?object_type=foundation")
    assert response.status_code == 200
    assert b"bmc_password" in response.content and MARKER.encode() not in response.content


def test_the_console_shows_only_that_it_is_set(client, make_user, bmc):
    """The foundation page says the password is set, without it."""
    client.force_login(make_user("viewer", roles.VIEWER))
    page = client.get("/console/foundations/srv1/")
    assert page.status_code == 200
    assert MARKER.encode() not in page.content
