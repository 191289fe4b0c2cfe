"""Database helpers shared by the apps: the timestamped abstract model, the "in use" conflict of a delete, and
mending the broken connections of a long-running worker."""

from django.db import IntegrityError, connections, models
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


def connections_mend() -> None:
    """Close each database connection that broke (a cut connection, a restarted server), so the next query of a
    long-running worker opens a fresh one instead of failing again; a working one is kept."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
