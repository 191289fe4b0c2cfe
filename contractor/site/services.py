"""Writes for sites: create, update and delete."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from contractor.site.models import Site


def in_use_error(obj, error: ProtectedError) -> IntegrityError:
    """A clear 'still in use' conflict naming a few of the objects that hold on to `obj`."""
    holders = sorted(f"{type(holder)._meta.verbose_name} {holder}" for holder in error.protected_objects)
    more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
    return IntegrityError(f"{type(obj)._meta.verbose_name} {obj} is in use by {', '.join(holders[:5])}{more}.")


@transaction.atomic
def site_create(
    *, name: str, description: str = "", parent: Site | None = None, config_values: dict | None = None
) -> Site:
    """Create a site under `parent` (or at the top)."""
    site = Site(name=name, description=description, parent=parent, config_values=config_values or {})
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def site_update(*, site: Site, **fields) -> Site:
    """Change any of name, description, parent and config_values; refuses a parent that makes a cycle."""
    for field, value in fields.items():
        if field not in ("name", "description", "parent", "config_values"):
            raise TypeError(f"site_update() got an unexpected field {field!r}")
        setattr(site, field, value)
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def site_delete(*, site: Site) -> None:
    """Delete a site nothing else uses; raises IntegrityError (a 409) naming what still uses it."""
    try:
        site.delete()
    except ProtectedError as error:
        raise in_use_error(site, error) from error
