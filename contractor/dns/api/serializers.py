"""Serializers of the dns API."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.dns import services
from contractor.dns.models import Zone
from contractor.dns.services import ZONE_FIELDS


class ZoneSerializer(ModelSerializer):
    """A zone, with the names of the sites that point at it."""

    sites = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Zone
        fields = [*ZONE_FIELDS, "sites", "created", "updated"]
        # The model defaults it to [] but a zone has no SOA without one: a missing list is a 400, not zone_create's 500.
        extra_kwargs = {"name_servers": {"required": True}}

    def create(self, validated_data):
        return services.zone_create(**validated_data)

    def update(self, instance, validated_data):
        return services.zone_update(zone=instance, **validated_data)


class ReverseZoneSerializer(serializers.Serializer):
    """A reverse zone a forward zone owns, its current serial and where its file is."""

    origin = serializers.CharField()
    serial = serializers.IntegerField()
    url = serializers.URLField()
