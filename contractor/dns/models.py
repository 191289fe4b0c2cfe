"""Zone (a forward DNS zone that sites point at) and ZoneFile (the serial of each generated file)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from contractor.building.models import Structure
from contractor.db import Timestamped
from contractor.dns.validators import validate_domain_name, validate_extra_records, validate_glue, validate_name_servers
from contractor.site.selectors import site_tree

SECONDS = [MinValueValidator(1), MaxValueValidator(2**31 - 1)]


class Zone(Timestamped):
    """A forward DNS zone: its SOA timers, name servers, glue and extra records; sites point at it."""

    name = models.CharField(
        max_length=253, unique=True, validators=[validate_domain_name], help_text="e.g. prod.example.com"
    )
    description = models.CharField(max_length=200, blank=True)
    ttl = models.PositiveIntegerField(default=3600, validators=SECONDS, help_text="Default TTL ($TTL), seconds.")
    refresh = models.PositiveIntegerField(default=86400, validators=SECONDS)
    retry = models.PositiveIntegerField(default=7200, validators=SECONDS)
    expire = models.PositiveIntegerField(default=3600000, validators=SECONDS)
    minimum = models.PositiveIntegerField(default=3600, validators=SECONDS, help_text="Negative-caching TTL.")
    contact = models.CharField(
        max_length=253, blank=True, help_text="SOA contact as an email address; empty is hostmaster@<zone>."
    )
    name_servers = models.JSONField(
        default=list, validators=[validate_name_servers], help_text="FQDNs; the first is the SOA primary."
    )
    glue = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_glue],
        help_text="Name server FQDN -> list of addresses, for in-zone name servers that are not structures.",
    )
    extra_records = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_extra_records],
        help_text='e.g. [{"type": "MX", "name": "@", "priority": 10, "value": "mail"}]',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = (self.name or "").lower().rstrip(".")
        if isinstance(self.name_servers, list):
            self.name_servers = [str(ns).lower().rstrip(".") for ns in self.name_servers]
        if isinstance(self.glue, dict):
            self.glue = {str(ns).lower().rstrip("."): addresses for ns, addresses in self.glue.items()}
        if self.contact and "@" not in self.contact:
            raise ValidationError({"contact": "An email address such as hostmaster@example.com."})
        if isinstance(self.name_servers, list) and isinstance(self.glue, dict) and (unglued := self.unglued_servers()):
            raise ValidationError(
                {"glue": f"Name servers inside the zone need addresses (glue or a structure): {', '.join(unglued)}."}
            )
        if isinstance(self.extra_records, list) and (taken := self.records_on_hostnames()):
            raise ValidationError(
                {"extra_records": f"These names are hostnames of structures in the zone: {', '.join(taken)}."}
            )

    def records_on_hostnames(self) -> list[str]:
        """Extra record names that are hostnames of this zone's structures (which hold a CNAME or TXT already)."""
        names = {str(record.get("name", "@")).lower() for record in self.extra_records if isinstance(record, dict)}
        names.discard("@")
        if not self.pk or not names:
            return []
        hosts = (
            Structure.objects.filter(site_id__in=self.site_ids())
            .annotate(lower=Lower("hostname"))
            .filter(lower__in=names)
        )
        return sorted(set(hosts.values_list("lower", flat=True)))

    def unglued_servers(self) -> list[str]:
        """In-zone name servers with neither glue nor a structure of that hostname with a primary address here."""
        missing = [server for server in self.name_servers if self.in_zone(server) and server not in self.glue]
        labels = {self.relative(server) for server in missing}
        found = set()
        if self.pk and labels:
            hosts = Structure.objects.filter(
                site_id__in=self.site_ids(), addresses__is_primary=True, hostname__in=labels
            )
            found = set(hosts.values_list("hostname", flat=True))
        return [server for server in missing if self.relative(server) not in found]

    def site_ids(self) -> list[int]:
        """The sites whose structures land in this zone: those pointing at it and their sub-sites without a zone."""
        return [site for site, zone in site_tree().zone_sites().items() if zone == self.pk]

    def in_zone(self, fqdn: str) -> bool:
        """Whether `fqdn` is this zone's apex or below it."""
        return fqdn == self.name or fqdn.endswith("." + self.name)

    def relative(self, fqdn: str) -> str:
        """`fqdn` relative to the zone ('@' for the apex)."""
        return "@" if fqdn == self.name else fqdn[: -len(self.name) - 1]


class ZoneFile(models.Model):
    """The last content hash and serial of one generated zone file (forward or reverse), by origin."""

    origin = models.CharField(max_length=253, unique=True)
    content_hash = models.CharField(max_length=64)
    serial = models.PositiveBigIntegerField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["origin"]

    def __str__(self):
        return f"{self.origin} ({self.serial})"
