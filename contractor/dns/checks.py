"""DNS's rules about other apps' objects, registered into their hooks by DnsConfig.ready()."""

from django.core.exceptions import ValidationError

from contractor.dns.selectors import zone_hostname_clashes


def site_zone_check(*, site) -> None:
    """A new zone or parent moves the site's subtree into a zone: its hostnames must be free there."""
    clash = zone_hostname_clashes(site_id=site.pk, parent_id=site.parent_id, zone_id=site.zone_id)
    if clash is not None:
        zone, hostnames = clash
        field = "zone" if site.zone_id else "parent"
        raise ValidationError({field: f"Hostnames already used in zone {zone}: {', '.join(hostnames[:5])}."})
