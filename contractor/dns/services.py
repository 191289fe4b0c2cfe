"""Writes for DNS: zones, a site's zone, and the serials of generated zone files."""

import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from contractor.db import in_use_error, validated_save
from contractor.dns import selectors
from contractor.dns.models import Zone, ZoneFile
from contractor.site.models import Site
from contractor.site.services import site_update

ZONE_FIELDS = (
    "name",
    "description",
    "ttl",
    "refresh",
    "retry",
    "expire",
    "minimum",
    "contact",
    "name_servers",
    "glue",
    "extra_records",
)


@transaction.atomic
def zone_create(*, name: str, name_servers: list[str], **fields) -> Zone:
    """Create a zone; the other fields (timers, contact, glue, extra_records) are optional."""
    zone = Zone(name=name, name_servers=name_servers)
    return zone_update(zone=zone, **fields)


@transaction.atomic
def zone_update(*, zone: Zone, **fields) -> Zone:
    """Change any of a zone's fields."""
    for name, value in fields.items():
        if name not in ZONE_FIELDS:
            raise TypeError(f"zone_update() got an unexpected field {name!r}")
        setattr(zone, name, value)
    return validated_save(zone)


@transaction.atomic
def zone_delete(*, zone: Zone) -> None:
    """Delete a zone no site points at; raises IntegrityError (a 409) naming the sites that do."""
    try:
        zone.delete()
    except ProtectedError as error:
        raise in_use_error(zone, error) from error


@transaction.atomic
def site_zone_set(*, site: Site, zone: Zone | None) -> Site:
    """Point `site` at `zone` (or at none); refuses (on `zone`) if a hostname of the site is taken there."""
    return site_update(site=site, zone=zone)


def next_serial(previous: int | None, today: datetime.date) -> int:
    """YYYYMMDDnn for today's first change, else one more than the last serial: always strictly increasing."""
    start = int(today.strftime("%Y%m%d")) * 100
    return start if previous is None else max(previous + 1, start)


class Published(NamedTuple):
    """A zone file as published: its serial and full text."""

    serial: int
    text: str


@transaction.atomic
def zone_texts_publish(*, texts: dict) -> dict[str, Published]:
    """Each zone file (origin -> ZoneText) with its serial, bumped and stored if its content changed."""
    serials = zone_file_serials(hashes={origin: text.content_hash for origin, text in texts.items()})
    return {origin: Published(serials[origin], text.text(serials[origin])) for origin, text in texts.items()}


@transaction.atomic
def zone_file_serials(*, hashes: dict[str, str]) -> dict[str, int]:
    """The serial of each zone file (origin -> content hash): kept while the content is the same, else bumped."""
    states = selectors.zone_file_states(lock=True, origins=list(hashes))
    today = timezone.now().date()
    changed, created, serials = [], [], {}
    for origin, content_hash in hashes.items():
        state = states.get(origin)
        if state is None:
            state = ZoneFile(origin=origin, content_hash=content_hash, serial=next_serial(None, today))
            created.append(state)
        elif state.content_hash != content_hash:
            state.content_hash, state.serial = content_hash, next_serial(state.serial, today)
            state.updated = timezone.now()
            changed.append(state)
        serials[origin] = state.serial
    ZoneFile.objects.bulk_create(created, batch_size=500)
    if len(changed) > 20:
        ZoneFile.objects.bulk_update(changed, ["content_hash", "serial", "updated"], batch_size=500)
    else:  # the follower's usual few: plain UPDATEs are quicker to build than one CASE over them
        for state in changed:
            state.save(update_fields=["content_hash", "serial", "updated"])
    return serials
