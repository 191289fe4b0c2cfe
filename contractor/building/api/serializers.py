"""Serializers of the building API; foundations get one serializer per installed type."""

from functools import cache

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer, SecretsRedactedJSONField
from contractor.blueprint.models import FoundationBluePrint, StructureBluePrint
from contractor.building import services
from contractor.building.models import Complex, Dependency, Foundation, Structure
from contractor.building.selectors import complex_state
from contractor.plugins import foundation_types
from contractor.site.models import Site

FOUNDATION_FIELDS = (
    "locator",
    "type",
    "site",
    "blueprint",
    "class_list",
    "id_map",
    "state",
    "located_at",
    "built_at",
    "structure",
    "interfaces",
    "created",
    "updated",
)


def foundation_type_fields(model: type[Foundation]) -> tuple[str, ...]:
    """The API fields a foundation type adds: its `api_fields`, else every editable field its model adds."""
    declared = getattr(model, "api_fields", None)
    if declared is not None:
        return tuple(declared)
    return tuple(
        field.name
        for field in model._meta.local_concrete_fields
        if field.editable and not field.primary_key and not field.remote_field
    )


class FoundationSerializer(ModelSerializer):
    """The fields every foundation has; a type's serializer (see `foundation_serializer_class`) adds its own."""

    type = serializers.CharField(help_text="The foundation type (see /api/v1/foundations/types/).")
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    blueprint = serializers.SlugRelatedField(slug_field="name", queryset=FoundationBluePrint.objects.all())
    structure = serializers.SerializerMethodField()
    interfaces = serializers.SerializerMethodField()
    id_map = SecretsRedactedJSONField(
        required=False, help_text="Hardware identity found when located (secrets redacted without user.view_secrets)."
    )

    class Meta:
        model = Foundation
        fields = FOUNDATION_FIELDS
        read_only_fields = ("state", "located_at", "built_at", "created", "updated")

    def get_structure(self, foundation) -> int | None:
        structure = getattr(foundation, "structure", None)
        return structure.pk if structure else None

    def get_interfaces(self, foundation) -> list[dict]:
        return [
            {"name": i.name, "mac": i.mac, "is_provisioning": i.is_provisioning} for i in foundation.interfaces.all()
        ]

    def to_representation(self, instance):
        model = type(instance)
        if model is not self.Meta.model and model.foundation_type:
            return foundation_serializer_class(model)(instance, context=self.context).data
        return super().to_representation(instance)

    def validate_type(self, value):
        if self.instance is not None and value != self.instance.type:
            raise serializers.ValidationError("A foundation's type cannot change; make a new foundation.")
        services.foundation_model(value)
        return value

    def create(self, validated_data):
        return services.foundation_create(foundation_type=validated_data.pop("type"), **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("type", None)
        return services.foundation_update(foundation=instance, **validated_data)


@cache
def foundation_serializer_class(model: type[Foundation]) -> type[FoundationSerializer]:
    """The serializer of one foundation type: the base fields plus the type's own."""
    meta = type(
        "Meta",
        (FoundationSerializer.Meta,),
        {"model": model, "fields": (*FOUNDATION_FIELDS, *foundation_type_fields(model))},
    )
    # A type may declare how some of its fields are written and shown (a foreign key by name, say).
    declared = model.api_serializer_fields() if hasattr(model, "api_serializer_fields") else {}
    return type(f"{model.__name__}Serializer", (FoundationSerializer,), {"Meta": meta, **declared})


class LocateSerializer(serializers.Serializer):
    """Body of POST /foundations/<locator>/located/."""

    id_map = serializers.JSONField(required=False, help_text="The hardware found: cpu_count, memory_mb, ...")


class StructureSerializer(ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    blueprint = serializers.SlugRelatedField(slug_field="name", queryset=StructureBluePrint.objects.all())
    foundation = serializers.SlugRelatedField(slug_field="locator", queryset=Foundation.objects.all())

    class Meta:
        model = Structure
        fields = (
            "id",
            "hostname",
            "site",
            "blueprint",
            "foundation",
            "config_values",
            "config_uuid",
            "state",
            "built_at",
            "created",
            "updated",
        )
        read_only_fields = ("config_uuid", "state", "built_at", "created", "updated")
        validators = []  # hostname-per-site is checked by the service, which names the field

    def create(self, validated_data):
        return services.structure_create(**validated_data)

    def update(self, instance, validated_data):
        return services.structure_update(structure=instance, **validated_data)


class ComplexSerializer(ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())
    members = serializers.PrimaryKeyRelatedField(many=True, queryset=Structure.objects.all(), required=False)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Complex
        fields = ("name", "description", "site", "built_percentage", "members", "state", "created", "updated")
        read_only_fields = ("created", "updated")

    def get_state(self, complex_) -> str:
        if hasattr(complex_, "member_count"):
            return complex_state(
                built=complex_.built_count, total=complex_.member_count, built_percentage=complex_.built_percentage
            )
        return complex_.state

    def create(self, validated_data):
        return services.complex_create(**validated_data)

    def update(self, instance, validated_data):
        return services.complex_update(complex_=instance, **validated_data)


class DependencySerializer(ModelSerializer):
    foundation = serializers.SlugRelatedField(
        slug_field="locator", queryset=Foundation.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Dependency
        fields = (
            "id",
            "structure",
            "dependency",
            "foundation",
            "link",
            "script_structure",
            "create_script_name",
            "destroy_script_name",
            "state",
            "built_at",
            "created",
            "updated",
        )
        read_only_fields = ("state", "built_at", "created", "updated")

    def create(self, validated_data):
        return services.dependency_create(**validated_data)

    def update(self, instance, validated_data):
        return services.dependency_update(dependency=instance, data=validated_data)


class FoundationTypeFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="The serializer field class, such as CharField.")
    required = serializers.BooleanField()
    help_text = serializers.CharField(allow_blank=True)


class FoundationTypeSerializer(serializers.Serializer):
    """One entry of `foundations/types/` (for the schema): a type and the fields it adds."""

    type = serializers.CharField()
    model = serializers.CharField()
    verbose_name = serializers.CharField()
    fields = FoundationTypeFieldSerializer(many=True)


def foundation_type_descriptions() -> list[dict]:
    """Every installed foundation type with the fields it adds to the API."""
    described = []
    for name, model in sorted(foundation_types().items()):
        fields = foundation_serializer_class(model)().fields
        described.append(
            {
                "type": name,
                "model": model._meta.label_lower,
                "verbose_name": str(model._meta.verbose_name),
                "fields": [
                    {
                        "name": field_name,
                        "kind": type(fields[field_name]).__name__,
                        "required": fields[field_name].required,
                        "help_text": str(fields[field_name].help_text or ""),
                    }
                    for field_name in foundation_type_fields(model)
                ],
            }
        )
    return described
