"""Serializers of the site API."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.site import services
from contractor.site.models import Site


class SiteSerializer(ModelSerializer):
    """A site, its parent, children and DNS zone referred to by name."""

    parent = serializers.SlugRelatedField(
        slug_field="name", queryset=Site.objects.all(), allow_null=True, required=False
    )
    children = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    # The zone model is dns's, an app above this one: it is reached through the site's own foreign key.
    zone = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Site._meta.get_field("zone").related_model.objects.all(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = Site
        fields = ["name", "description", "parent", "children", "zone", "config_values", "created", "updated"]

    def create(self, validated_data):
        return services.site_create(**validated_data)

    def update(self, instance, validated_data):
        return services.site_update(site=instance, **validated_data)
