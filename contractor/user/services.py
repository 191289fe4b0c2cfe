"""Writes for users: accounts, their roles, the role groups and API tokens."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from contractor.user import roles
from contractor.user.models import User


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


@transaction.atomic
def user_token(*, user, reset: bool = False) -> Token:
    """Return the user's API token, making a new key when asked to."""
    if reset:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token


def _password_set(user, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)


def role_names() -> list[str]:
    """Names of the operator roles, in the order they are described."""
    return list(roles.ROLE_DESCRIPTIONS)


@transaction.atomic
def user_roles_set(*, user, roles: list[str]) -> None:
    """Make the user's role groups exactly `roles`, leaving any other groups alone."""
    unknown = sorted(set(roles) - set(role_names()))
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(unknown)}; choose from {', '.join(role_names())}."})
    if set(roles) - set(Group.objects.filter(name__in=roles).values_list("name", flat=True)):
        roles_sync()
    user.groups.remove(*Group.objects.filter(name__in=role_names()).exclude(name__in=roles))
    user.groups.add(*Group.objects.filter(name__in=roles))


@transaction.atomic
def user_create(*, username: str, password: str | None = None, roles: list[str] | None = None, **fields):
    """Create a user (no usable password unless given) holding `roles`."""
    user = User(username=username, **fields)
    if password:
        _password_set(user, password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    user_roles_set(user=user, roles=roles or [])
    return user


@transaction.atomic
def user_update(*, user, password: str | None = None, roles: list[str] | None = None, **fields):
    """Change a user's fields, and their password or roles when given."""
    for name, value in fields.items():
        setattr(user, name, value)
    if password:
        _password_set(user, password)
    user.full_clean()
    user.save()
    if roles is not None:
        user_roles_set(user=user, roles=roles)
    return user
