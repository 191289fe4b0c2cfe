"""Serializers of the discovered machines API."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.blueprint.models import FoundationBluePrint
from contractor.building.models import Foundation
from contractor.discovery.models import DiscoveredMachine
from contractor.site.models import Site


class DiscoveredMachineSerializer(ModelSerializer):
    """A discovered machine, read-only: reports and the actions below change it."""

    site = serializers.SlugRelatedField(slug_field="name", read_only=True)
    subcontractor = serializers.SlugRelatedField(slug_field="name", read_only=True)
    foundation = serializers.SlugRelatedField(slug_field="locator", read_only=True)

    class Meta:
        model = DiscoveredMachine
        fields = [
            "id",
            "mac",
            "address",
            "site",
            "subcontractor",
            "state",
            "message",
            "foundation",
            "matched_by",
            "action",
            "facts",
            "reports",
            "last_report_at",
            "created",
            "updated",
        ]
        read_only_fields = fields


class AssignSerializer(serializers.Serializer):
    """`{"foundation": "<locator>"}`: a planned foundation to give the machine to."""

    foundation = serializers.SlugRelatedField(slug_field="locator", queryset=Foundation.objects.all())


class CreateFoundationSerializer(serializers.Serializer):
    """A foundation to create for the machine: its locator, blueprint, site (default: where it booted), type."""

    locator = serializers.CharField(max_length=100)
    blueprint = serializers.SlugRelatedField(slug_field="name", queryset=FoundationBluePrint.objects.all())
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all(), required=False)
    type = serializers.CharField(default="manual", max_length=50)


class ReportSerializer(serializers.Serializer):
    """A report from the discovery image: the MAC it booted from, its facts, optionally where it booted."""

    mac = serializers.CharField(max_length=17)
    facts = serializers.JSONField()
    site = serializers.CharField(required=False, allow_blank=True, max_length=100)
    subcontractor = serializers.CharField(required=False, allow_blank=True, max_length=100)


class InstructionSerializer(serializers.Serializer):
    """What the machine is to do next: `wait`, `poweroff` or `reboot`."""

    id = serializers.IntegerField()
    mac = serializers.CharField()
    state = serializers.CharField()
    action = serializers.CharField()
    message = serializers.CharField()
