"""Database helpers shared by the apps: the timestamped abstract model, and the "in use" conflict of a delete."""

from django.db import IntegrityError, models
from django.db.models import ProtectedError, RestrictedError


class Timestamped(models.Model):
    """When a row was made and last saved: `created` and `updated`, for every model that keeps both."""

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def in_use_message(error: ProtectedError | RestrictedError, obj=None) -> str:
    """'<kind> <obj> is in use by <kind> <name>, ... and N more.': a sentence naming what holds on to `obj`."""
    held = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", None) or ()
    holders = sorted({f"{type(holder)._meta.verbose_name} {holder}" for holder in held})
    more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
    what = f"{type(obj)._meta.verbose_name} {obj}" if obj is not None else "It"
    return f"{what} is in use by {', '.join(holders[:5]) or 'other objects'}{more}, so it cannot be deleted."


def in_use_error(obj, error: ProtectedError | RestrictedError) -> IntegrityError:
    """A clear 'still in use' conflict (a 409 over the API) naming a few of the objects that hold on to `obj`."""
    return IntegrityError(in_use_message(error, obj))
