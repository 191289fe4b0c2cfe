"""Serializers of the site API."""

from rest_framework import serializers

from contractor.site import services
from contractor.site.models import Site


class SiteSerializer(serializers.ModelSerializer):
    """A site, its parent and children referred to by name."""

    parent = serializers.SlugRelatedField(
        slug_field="name", queryset=Site.objects.all(), allow_null=True, required=False
    )
    children = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Site
        fields = ["name", "description", "parent", "children", "config_values", "created", "updated"]

    def create(self, validated_data):
        return services.site_create(**validated_data)

    def update(self, instance, validated_data):
        return services.site_update(site=instance, **validated_data)
