"""Database helpers shared by the apps' services."""

from django.db import IntegrityError
from django.db.models import ProtectedError


def in_use_error(obj, error: ProtectedError) -> IntegrityError:
    """A clear 'still in use' conflict naming a few of the objects that hold on to `obj`."""
    holders = sorted(f"{type(holder)._meta.verbose_name} {holder}" for holder in error.protected_objects)
    more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
    return IntegrityError(f"{type(obj)._meta.verbose_name} {obj} is in use by {', '.join(holders[:5])}{more}.")
