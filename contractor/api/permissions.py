"""Per-model permissions: reading needs the model's view permission, as writing needs change/add/delete."""

from rest_framework.permissions import DjangoModelPermissions

from contractor.redaction import can_see_secrets

__all__ = ["ModelPermissions", "can_see_secrets"]


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions, with `view_<model>` required for safe methods too."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }
