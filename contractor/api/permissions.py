"""Per-model permissions: reading needs the model's view permission, as writing needs change/add/delete."""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions, with `view_<model>` required for safe methods too."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def can_see_secrets(user) -> bool:
    """Whether config shown to `user` may include passwords, tokens and secrets."""
    return bool(user and user.is_authenticated and user.has_perm("user.view_secrets"))
