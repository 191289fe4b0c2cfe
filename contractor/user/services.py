"""Writes for users: the role groups and API tokens."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from rest_framework.authtoken.models import Token

from contractor.user import roles


@transaction.atomic
def roles_sync() -> dict[str, Group]:
    """Create or refresh the operator role groups so each holds exactly its role's permissions."""
    groups = {}
    all_perms = Permission.objects.select_related("content_type")
    for role in roles.ROLE_DESCRIPTIONS:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(roles.role_permissions(role, all_perms))
        groups[role] = group
    return groups


def user_token(*, user, reset: bool = False) -> Token:
    """Return the user's API token, making a new key when asked to."""
    if reset:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token
