"""Viewsets of the user API."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contractor.user import services
from contractor.user.api import serializers
from contractor.user.filtersets import UserFilterSet
from contractor.user.models import User


class UserViewSet(viewsets.ModelViewSet):
    """Users, addressed by username; `me/` is the caller, whatever their permissions."""

    queryset = User.objects.prefetch_related("groups")
    serializer_class = serializers.UserSerializer
    filterset_class = UserFilterSet
    search_fields = ["username", "first_name", "last_name", "email", "description"]
    ordering_fields = ["username", "date_joined", "last_login"]
    lookup_field = "username"
    # "me" is reserved (the caller, its own route): no user has it, so the schema offers no detail path for it
    lookup_value_regex = r"(?!me$)[^/]+"

    def perform_destroy(self, instance):
        services.users_delete(users=[instance], actor=self.request.user)

    @extend_schema(summary="The caller", responses={200: serializers.MeSerializer})
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        serializer_class=serializers.MeSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def me(self, request):
        return Response(serializers.MeSerializer(request.user).data)

    @extend_schema(
        summary="The caller's API token",
        description='Returns the caller\'s token, making one if needed; `{"reset": true}` replaces it.',
        request=serializers.TokenRequestSerializer,
        responses={200: serializers.TokenSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="me/token",
        permission_classes=[permissions.IsAuthenticated],
        serializer_class=serializers.TokenRequestSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def token(self, request):
        ask = serializers.TokenRequestSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        token = services.user_token(user=request.user, reset=ask.validated_data["reset"])
        return Response(serializers.TokenSerializer(token).data)
