"""Serializers of the user API."""

from rest_framework import serializers

from contractor.api.serializers import ModelSerializer
from contractor.user import services
from contractor.user.models import User


def user_roles(user) -> list[str]:
    """The user's operator roles, from prefetched groups when they are there."""
    names = set(services.role_names())
    return sorted(group.name for group in user.groups.all() if group.name in names)


class RolesField(serializers.ListField):
    """Operator role names: read from the user's groups, written as a list of names."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=services.role_names()), **kwargs)

    def get_attribute(self, instance):
        return user_roles(instance)


class UserSerializer(ModelSerializer):
    """A user, addressed by username; `roles` are operator role names and `password` is never shown."""

    roles = RolesField(required=False, help_text="Operator roles: " + ", ".join(services.role_names()) + ".")
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, help_text="Only ever written."
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "description",
            "is_active",
            "roles",
            "password",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["date_joined", "last_login"]

    def validate_username(self, value):
        if value == "me":
            raise serializers.ValidationError('"me" is reserved: /api/v1/users/me/ is the caller.')
        return value

    def _actor(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    def create(self, validated_data):
        return services.user_create(actor=self._actor(), **validated_data)

    def update(self, instance, validated_data):
        return services.user_update(user=instance, actor=self._actor(), **validated_data)


class MeSerializer(UserSerializer):
    """The caller's own record, with every permission they hold."""

    permissions = serializers.SerializerMethodField()
    is_superuser = serializers.BooleanField(read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [name for name in UserSerializer.Meta.fields if name != "password"] + ["is_superuser", "permissions"]
        read_only_fields = fields

    def get_permissions(self, user) -> list[str]:
        return sorted(user.get_all_permissions())


class TokenRequestSerializer(serializers.Serializer):
    """`{"reset": true}` replaces the caller's token with a new one."""

    reset = serializers.BooleanField(default=False)


class TokenSerializer(serializers.Serializer):
    """An API token: send it as `Authorization: Token <key>`."""

    key = serializers.CharField(read_only=True)
    created = serializers.DateTimeField(read_only=True)
