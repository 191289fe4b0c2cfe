"""Writes for users: accounts, their roles, the role groups and API tokens."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from contractor.db import validated_save
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


class UserChangeForbidden(PermissionDenied):
    """The caller may not make this change to a user; `field` names what they tried to change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def user_change_check(*, actor, user, is_superuser=None, is_active=None, groups=None, permissions=None) -> None:
    """Refuse a change `actor` may not make to `user` (None: unchanged; `user.pk` None: a new user).

    Only a superuser changes a superuser or makes one; anyone else grants only the groups (roles among them) and
    permissions they hold themselves. A manage.py command acts with no actor and is not refused. The last
    active superuser stays one (`user_superusers_keep`, `users_delete_check`).
    """
    if actor is None or actor.is_superuser:
        return
    was_superuser = bool(user.pk) and type(user).objects.filter(pk=user.pk, is_superuser=True).exists()
    if was_superuser or is_superuser:
        raise UserChangeForbidden("is_superuser", "Only a superuser may change a superuser or make one.")
    _grants_check(actor=actor, user=user, groups=groups, permissions=permissions)


def _grants_check(*, actor, user, groups, permissions) -> None:
    """Refuse groups (roles) and permissions `user` would newly hold that `actor` does not hold."""
    current = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    added = sorted(set(groups or current) - current - set(actor.groups.values_list("name", flat=True)))
    if added:
        who = "yourself" if user.pk == actor.pk else "others"
        message = f"You may grant {who} only roles and groups you hold; you do not hold: {', '.join(added)}."
        raise UserChangeForbidden("roles" if set(added) <= set(role_names()) else "groups", message)
    current_perms = set(user.user_permissions.all()) if user.pk else set()
    names = {
        f"{perm.content_type.app_label}.{perm.codename}" for perm in set(permissions or current_perms) - current_perms
    }
    missing = sorted(name for name in names if not actor.has_perm(name))
    if missing:
        message = f"You may grant only permissions you hold; you do not hold: {', '.join(missing)}."
        raise UserChangeForbidden("user_permissions", message)


def _active_superusers() -> set[int]:
    """The active superusers' ids, their rows locked (in one order) so two changes at once cannot both pass."""
    rows = User.objects.select_for_update().filter(is_superuser=True, is_active=True).order_by("pk")
    return set(rows.values_list("pk", flat=True))


@transaction.atomic
def user_superusers_keep(*, user, is_superuser: bool, is_active: bool) -> None:
    """Refuse to save `user` with these flags when that leaves no active superuser (naming the field)."""
    if user.pk and not (is_superuser and is_active) and _active_superusers() == {user.pk}:
        field = "is_active" if not is_active else "is_superuser"
        raise ValidationError({field: f"{user} is the last active superuser: make another superuser first."})


@transaction.atomic
def users_delete_check(*, users, actor=None) -> None:
    """Refuse to delete `users` when `actor` may not change one of them, or no active superuser would be left."""
    for user in users:
        user_change_check(actor=actor, user=user)
    superusers = _active_superusers()
    if superusers and superusers <= {user.pk for user in users}:
        raise ValidationError("That would leave no active superuser: make another superuser before deleting the last.")


@transaction.atomic
def user_create(*, username: str, password: str | None = None, roles: list[str] | None = None, actor=None, **fields):
    """Create a user (no usable password unless given) holding `roles`, as far as `actor` may grant them."""
    user = User(username=username, **fields)
    user_change_check(actor=actor, user=user, is_superuser=user.is_superuser, groups=roles)
    if password:
        _password_set(user, password)
    else:
        user.set_unusable_password()
    validated_save(user)
    user_roles_set(user=user, roles=roles or [])
    return user


@transaction.atomic
def user_update(*, user, password: str | None = None, roles: list[str] | None = None, actor=None, **fields):
    """Change a user's fields, and their password or roles when given, as far as `actor` may."""
    if roles is not None:
        roles = list(roles) + sorted(set(user.groups.values_list("name", flat=True)) - set(role_names()))
    user_change_check(actor=actor, user=user, is_superuser=fields.get("is_superuser"), groups=roles)
    for name, value in fields.items():
        setattr(user, name, value)
    user_superusers_keep(user=user, is_superuser=user.is_superuser, is_active=user.is_active)
    if password:
        _password_set(user, password)
    validated_save(user)
    if roles is not None:
        user_roles_set(user=user, roles=[name for name in roles if name in role_names()])
    return user


@transaction.atomic
def users_delete(*, users, actor=None) -> None:
    """Delete users, unless `actor` may not change one of them or they are the last active superusers."""
    users = list(users)
    users_delete_check(users=users, actor=actor)
    for user in users:
        user.delete()
