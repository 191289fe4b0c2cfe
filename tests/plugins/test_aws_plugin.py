"""The aws plugin: its type, the account API (credentials write-only everywhere), the admin and its blueprints."""

from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.plugins import foundation_types
from plugins.aws.models import AWSAccount, EC2Foundation
from tests.factories import SiteFactory
from tscript import parse

pytestmark = pytest.mark.django_db
BLUEPRINTS = Path(__file__).resolve().parents[2] / "plugins" / "aws" / "blueprints.toml"
ACCOUNT = {"name": "prod", "site": "lab", "region": "eu-west-2", "access_key_id": "AKIAEXAMPLE",
           "secret_access_key": "very-secret", "default_subnet": "subnet-0abc"}  # fmt: skip


def test_ec2_is_a_foundation_type_installed_by_default(settings):
    assert foundation_types()["ec2"] is EC2Foundation
    assert "plugins.aws" in settings.INSTALLED_APPS


def test_credentials_are_taken_and_never_shown(infra_client, admin_client):
    """The API takes the credentials and shows only has_credentials; the admin page and the audit log hide them."""
    SiteFactory(name="lab")
    created = infra_client.post("/api/v1/aws-accounts/", ACCOUNT, format="json")
    assert created.status_code == 201, created.data
    account = AWSAccount.objects.get(name="prod")
    assert (account.access_key_id, account.secret_access_key) == ("AKIAEXAMPLE", "very-secret")
    for body in (created.data, infra_client.get("/api/v1/aws-accounts/prod/").data):
        assert body["has_credentials"] is True and not {"access_key_id", "secret_access_key"} & set(body)
    listed = infra_client.get("/api/v1/aws-accounts/").content.decode()
    page = admin_client.get(f"/admin/aws/awsaccount/{account.pk}/change/").content.decode()
    log = str([entry.changes for entry in LogEntry.objects.all()])
    for text in (listed, page, log):
        assert "very-secret" not in text and "AKIAEXAMPLE" not in text
    kept = infra_client.patch("/api/v1/aws-accounts/prod/", {"region": "us-east-1"}, format="json")
    assert kept.status_code == 200 and AWSAccount.objects.get(name="prod").secret_access_key == "very-secret"


def test_half_a_credential_is_a_400_naming_the_field(infra_client):
    SiteFactory(name="lab")
    body = {**ACCOUNT, "secret_access_key": ""}
    response = infra_client.post("/api/v1/aws-accounts/", body, format="json")
    assert response.status_code == 400 and "secret_access_key" in response.data
    response = infra_client.post("/api/v1/aws-accounts/", {**ACCOUNT, "region": "Mars"}, format="json")
    assert response.status_code == 400 and "region" in response.data


def test_the_shipped_blueprints_load_and_parse():
    call_command("load_blueprints", str(BLUEPRINTS))
    assert FoundationBluePrint.objects.get(name="ec2-instance").foundation_types == ["ec2"]
    host = StructureBluePrint.objects.get(name="ec2-host")
    for blueprint in (FoundationBluePrint.objects.get(name="ec2-instance"), host):
        for script in blueprint.scripts.all():
            parse(script.script)
