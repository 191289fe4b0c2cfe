"""Writes for sites: create, update and delete."""

from django.db import transaction
from django.db.models import ProtectedError

from contractor.db import in_use_error
from contractor.site.models import Site


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
