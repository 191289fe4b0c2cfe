"""Writes for sites: create, update and delete."""

from django.db import transaction
from django.db.models import ProtectedError

from contractor.db import in_use_error, validated_save
from contractor.site.models import Site

SITE_FIELDS = ("name", "description", "parent", "zone", "config_values")


@transaction.atomic
def site_create(
    *,
    name: str,
    description: str = "",
    parent: Site | None = None,
    zone=None,
    config_values: dict | None = None,
) -> Site:
    """Create a site under `parent` (or at the top), optionally in a DNS zone."""
    return validated_save(
        Site(name=name, description=description, parent=parent, zone=zone, config_values=config_values or {})
    )


@transaction.atomic
def site_update(*, site: Site, **fields) -> Site:
    """Change any of SITE_FIELDS; the model refuses a parent cycle or a zone where a hostname is taken."""
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_update() got unexpected field(s) {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        setattr(site, field, value)
    return validated_save(site)


@transaction.atomic
def site_delete(*, site: Site) -> None:
    """Delete a site nothing else uses; raises IntegrityError (a 409) naming what still uses it."""
    try:
        site.delete()
    except ProtectedError as error:
        raise in_use_error(site, error) from error
