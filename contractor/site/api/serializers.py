"""Serializers of the site API."""

from django.db import transaction
from rest_framework import serializers

from contractor.dns.models import Zone
from contractor.dns.services import site_zone_set
from contractor.site import services
from contractor.site.models import Site


class SiteSerializer(serializers.ModelSerializer):
    """A site, its parent, children and DNS zone referred to by name."""

    parent = serializers.SlugRelatedField(
        slug_field="name", queryset=Site.objects.all(), allow_null=True, required=False
    )
    children = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    zone = serializers.SlugRelatedField(slug_field="name", queryset=Zone.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Site
        fields = ["name", "description", "parent", "children", "zone", "config_values", "created", "updated"]

    @transaction.atomic
    def create(self, validated_data):
        has_zone, zone = "zone" in validated_data, validated_data.pop("zone", None)
        site = services.site_create(**validated_data)
        return site_zone_set(site=site, zone=zone) if has_zone else site

    @transaction.atomic
    def update(self, instance, validated_data):
        has_zone, zone = "zone" in validated_data, validated_data.pop("zone", None)
        site = services.site_update(site=instance, **validated_data)
        return site_zone_set(site=site, zone=zone) if has_zone else site
