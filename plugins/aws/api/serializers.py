"""Serializers of the aws plugin's API: credentials are write-only."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.site.models import Site
from plugins.aws import services
from plugins.aws.models import AWSAccount

WRITE_ONLY = {"write_only": True, "required": False, "style": {"input_type": "password"}}


class AWSAccountSerializer(ModelSerializer):
    """An AWS account in a region: where its EC2 foundations run. Credentials are taken, never shown."""

    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    has_credentials = serializers.BooleanField(read_only=True)
    instance_count = serializers.SerializerMethodField()

    class Meta:
        model = AWSAccount
        fields = ("name", "description", "site", "region", "endpoint_url", *AWSAccount.secret_fields,
                  "has_credentials", "default_vpc", "default_subnet", "default_security_groups", "instance_count",
                  "created", "updated")  # fmt: skip
        read_only_fields = ("created", "updated")
        extra_kwargs = {name: WRITE_ONLY for name in AWSAccount.secret_fields}

    def get_instance_count(self, account) -> int:
        return account.instance_count if hasattr(account, "instance_count") else account.instances.count()

    def create(self, validated_data):
        return services.aws_account_create(**validated_data)

    def update(self, instance, validated_data):
        return services.aws_account_update(account=instance, **validated_data)
