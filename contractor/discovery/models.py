"""DiscoveredMachine: one machine that booted the discovery image and reported its hardware; DiscoveryRequest: a
foundation's create job waiting in foundation.discover() for its machine's report."""

from django.db import models

from contractor.db import Timestamped
from contractor.discovery.choices import DiscoveredAction, DiscoveredState, RequestState


class DiscoveredMachine(Timestamped):
    """A machine known by the MAC it booted from; its last report's facts, where it booted, and its match."""

    mac = models.CharField(max_length=17, unique=True, help_text="The MAC it PXE-booted from, aa:bb:cc:dd:ee:ff.")
    address = models.GenericIPAddressField(null=True, blank=True, help_text="The address its report came from.")
    site = models.ForeignKey(
        "site.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="discovered_machines"
    )
    subcontractor = models.ForeignKey(
        "subcontracting.Subcontractor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discovered_machines",
        help_text="The subcontractor whose dynamic pool it booted from, when its boot said so.",
    )
    facts = models.JSONField(
        default=dict,
        blank=True,
        help_text="cpu_count, cpu_model, memory_mb, interfaces, disks, pci_devices and dmi, as it reported them.",
    )
    state = models.CharField(max_length=10, choices=DiscoveredState.choices, default=DiscoveredState.NEW)
    message = models.TextField(blank=True, help_text="Why the match was refused (each unmet requirement).")
    foundation = models.ForeignKey(
        "building.Foundation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discovered_machines",
        help_text="The foundation it matched, was assigned to, or was refused by.",
    )
    matched_by = models.CharField(max_length=20, blank=True, help_text="mac, dmi_serial, dmi_uuid, bmc_address.")
    action = models.CharField(max_length=10, choices=DiscoveredAction.choices, default=DiscoveredAction.WAIT)
    reports = models.PositiveIntegerField(default=1, help_text="How many reports it has sent.")
    last_report_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_report_at", "mac"]
        verbose_name = "discovered machine"

    def __str__(self):
        return self.mac


class DiscoveryRequest(Timestamped):
    """A job's foundation.discover(): while open, the foundation's MACs boot the discovery image (before any build
    script); its machine's report closes it, done or refused with the reasons."""

    foundation = models.OneToOneField("building.Foundation", on_delete=models.CASCADE, related_name="discovery_request")
    job_id_ref = models.BigIntegerField(null=True, blank=True, help_text="The job waiting in foundation.discover().")
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.OPEN)
    message = models.TextField(blank=True, help_text="Why its machine was refused.")

    class Meta:
        verbose_name = "discovery request"

    def __str__(self):
        return f"discovery of {self.foundation_id} ({self.state})"
