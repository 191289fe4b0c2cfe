"""AWSAccount (a complex: one account in one region) and EC2Foundation (an instance run in it)."""

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models

from contractor.building.models import Complex, Foundation
from contractor.redaction import SecretCharField

REGION = RegexValidator(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$", "An AWS region name, such as us-east-1 or eu-west-2.")
VPC_ID = RegexValidator(r"^vpc-[0-9a-f]+$", "A VPC id: vpc- and hexadecimal digits.")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]+$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]+$")


def new_token() -> str:
    """An EC2 ClientToken (at most 64 characters) no other create has used."""
    return str(uuid.uuid4())


def validate_subnet(value):
    if value and not SUBNET_ID.match(value):
        raise ValidationError(f"{value!r} is not a subnet id (subnet- and hexadecimal digits).")


def validate_security_groups(value):
    if not isinstance(value, list) or not all(
        isinstance(item, str) and SECURITY_GROUP_ID.match(item) for item in value
    ):
        raise ValidationError("A list of security group ids (sg- and hexadecimal digits).")


class AWSAccount(Complex):
    """An AWS account in one region: where its EC2 foundations run, with the credentials the subcontractor uses.

    It has no member structures (AWS hosts the instances). The credentials are write-only: the API and the admin
    take them and never show them; without them the subcontractor's own boto3 credentials (environment, config
    files, an instance profile) are used.
    """

    #: The SecretCharFields holding credentials: written, never shown (the API, the admin, the audit log).
    secret_fields = ("access_key_id", "secret_access_key", "session_token")

    region = models.CharField(max_length=32, validators=[REGION], help_text="The AWS region, such as us-east-1.")
    endpoint_url = models.CharField(
        max_length=200,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Another EC2 endpoint (a VPC endpoint, a test server); empty for the region's own.",
    )
    access_key_id = SecretCharField(max_length=128, blank=True, help_text="Write-only.")
    secret_access_key = SecretCharField(max_length=128, blank=True, help_text="Write-only.")
    session_token = SecretCharField(max_length=4096, blank=True, help_text="Write-only; for temporary credentials.")
    default_vpc = models.CharField(max_length=32, blank=True, validators=[VPC_ID], help_text="The VPC, for the record.")
    default_subnet = models.CharField(
        max_length=32,
        blank=True,
        validators=[validate_subnet],
        help_text="The subnet instances run in unless their config names one (ec2_subnet_id).",
    )
    default_security_groups = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_security_groups],
        help_text="Security group ids instances get unless their config names some (ec2_security_group_ids).",
    )

    class Meta:
        verbose_name = "AWS account"
        verbose_name_plural = "AWS accounts"

    def clean(self):
        super().clean()
        if bool(self.access_key_id) != bool(self.secret_access_key):
            field = "secret_access_key" if self.access_key_id else "access_key_id"
            raise ValidationError({field: "Give both the access key id and the secret access key, or neither."})
        if self.session_token and not self.access_key_id:
            raise ValidationError({"session_token": "A session token goes with an access key id and secret key."})

    @property
    def has_credentials(self) -> bool:
        return bool(self.access_key_id)

    def connection(self) -> dict:
        """The account parameters every `aws` task takes (subcontractor/handlers/aws.py); credentials only if set."""
        parameters = {"region": self.region}
        if self.endpoint_url:
            parameters["endpoint_url"] = self.endpoint_url
        if self.access_key_id:
            parameters["access_key_id"] = self.access_key_id
            parameters["secret_access_key"] = self.secret_access_key
        if self.session_token:
            parameters["session_token"] = self.session_token
        return parameters


class EC2Foundation(Foundation):
    """An EC2 instance in an AWS account, run, started, stopped and terminated by the `aws` tasks."""

    foundation_type = "ec2"
    api_fields = ("account", "instance_id")
    out_of_band_keys = ("_aws_*",)

    account = models.ForeignKey(AWSAccount, on_delete=models.PROTECT, related_name="instances")
    instance_id = models.CharField(
        max_length=32, blank=True, editable=False, help_text="The EC2 instance id; set by create, cleared by destroy."
    )
    client_token = models.CharField(
        max_length=64,
        default=new_token,
        unique=True,
        editable=False,
        help_text="EC2's ClientToken for the next create: a create sent again finds its instance; a new one after "
        "each destroy.",
    )

    class Meta:
        verbose_name = "EC2 foundation"

    @classmethod
    def api_serializer_fields(cls) -> dict:
        """The account by name; the instance id is Contractor's to set."""
        from rest_framework import serializers

        return {
            "account": serializers.SlugRelatedField(slug_field="name", queryset=AWSAccount.objects.all()),
            "instance_id": serializers.CharField(read_only=True),
        }

    def attributes(self) -> dict:
        """`_aws_account`, `_aws_region` and what the last answer said: `_ec2_instance_id`, `_ec2_private_address`,
        `_ec2_public_address` (empty before create)."""
        found = self.id_map or {}
        return {
            **super().attributes(),
            "_aws_account": self.account.name,
            "_aws_region": self.account.region,
            "_ec2_instance_id": self.instance_id,
            "_ec2_private_address": found.get("private_address") or "",
            "_ec2_public_address": found.get("public_address") or "",
        }

    def tscript_functions(self, context) -> dict:
        """`foundation.create()`, the power functions, `refresh`, `destroy` and `link_test`: `aws` tasks."""
        # Lazy: the functions use this plugin's services, which import these models.
        from plugins.aws.tscript import ec2_functions

        return ec2_functions(self)
