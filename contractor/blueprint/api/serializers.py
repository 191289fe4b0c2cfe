"""Serializers of the blueprint API: both kinds of blueprint, resolved scripts and PXEs."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.blueprint import services
from contractor.blueprint.choices import BluePrintKind
from contractor.blueprint.models import PXE, FoundationBluePrint, StructureBluePrint
from contractor.blueprint.scripting import script_warnings
from contractor.blueprint.selectors import FoundationTypes, foundation_types_read_once


class ParentNamesField(serializers.ListField):
    """The blueprint's parents as an ordered list of names (read from the prefetched parent edges)."""

    child = serializers.CharField()

    def get_attribute(self, instance):
        return [edge.parent.name for edge in sorted(instance.parent_edges.all(), key=lambda edge: edge.position)]


class ScriptsField(serializers.DictField):
    """The blueprint's own scripts as name -> TScript source."""

    child = serializers.CharField(trim_whitespace=False)

    def get_attribute(self, instance):
        return {script.name: script.script for script in instance.scripts.all()}


class ScriptWarningsField(serializers.DictField):
    """Per own script, the calls that would fail as not defined when a job runs it (a save is not refused)."""

    child = serializers.ListField(child=serializers.DictField())

    def get_attribute(self, instance):

        index = self.context.setdefault("foundation_types", FoundationTypes())  # one for a whole list
        with foundation_types_read_once(index):
            found = {script.name: script_warnings(script.script, instance) for script in instance.scripts.all()}
        return {name: warnings for name, warnings in found.items() if warnings}


class FoundationBlueprintNamesField(serializers.ListField):
    """The foundation blueprints a structure blueprint may sit on, by name."""

    child = serializers.CharField()

    def get_attribute(self, instance):
        return sorted(blueprint.name for blueprint in instance.foundation_blueprint_list.all())


class BluePrintSerializer(ModelSerializer):
    """What both kinds share; writes go through the blueprint services."""

    kind: str
    parents = ParentNamesField(default=list, help_text="Parent blueprint names; earlier ones are inherited first.")
    scripts = ScriptsField(default=dict, help_text="Script name -> TScript source.")
    script_warnings = ScriptWarningsField(
        read_only=True,
        help_text="Script name -> [{line, column, message}]: unknown modules, functions and arguments of the "
        "modules the installed plugins offer this blueprint's targets. Warnings never block a save.",
    )
    common_fields = ["name", "description", "parents", "config_values", "scripts", "script_warnings", "created",
                     "updated"]  # fmt: skip

    def create(self, validated_data):
        return services.blueprint_create(kind=self.kind, **validated_data)

    def update(self, instance, validated_data):
        return services.blueprint_update(blueprint=instance, **validated_data)


class FoundationBluePrintSerializer(BluePrintSerializer):
    """A foundation blueprint: the foundation types it applies to and the hardware it needs."""

    kind = BluePrintKind.FOUNDATION

    class Meta:
        model = FoundationBluePrint
        fields = [*BluePrintSerializer.common_fields, "foundation_types", "hardware_requirements"]


class StructureBluePrintSerializer(BluePrintSerializer):
    """A structure blueprint and the foundation blueprints it may be built on."""

    kind = BluePrintKind.STRUCTURE
    foundation_blueprints = FoundationBlueprintNamesField(default=list, help_text="Foundation blueprint names.")

    class Meta:
        model = StructureBluePrint
        fields = [*BluePrintSerializer.common_fields, "foundation_blueprints"]


class ResolvedScriptSerializer(serializers.Serializer):
    """A script as a blueprint sees it, and the blueprint it comes from (itself or an ancestor)."""

    name = serializers.CharField()
    blueprint = serializers.CharField(source="blueprint.name")
    script = serializers.CharField()


class PXESerializer(ModelSerializer):
    """A PXE boot target."""

    class Meta:
        model = PXE
        fields = ["name", "description", "boot_script", "template", "created", "updated"]

    def create(self, validated_data):
        return services.pxe_create(**validated_data)

    def update(self, instance, validated_data):
        return services.pxe_update(pxe=instance, **validated_data)
