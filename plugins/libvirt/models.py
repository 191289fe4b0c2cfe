"""LibvirtComplex (a complex of VM hosts) and LibvirtFoundation (a VM placed on one of its hosts)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from contractor.building.models import Complex, Foundation

DEFAULT_URI = "qemu:///system"


class LibvirtComplex(Complex):
    """A complex whose members are VM hosts (structures running libvirtd) that the complex's VMs are placed on.

    Each host's libvirt URI is its structure's `libvirt_uri` config value (default qemu:///system).
    """

    max_vms_per_host = models.PositiveIntegerField(
        default=0, help_text="Placement skips a host holding this many VMs; 0 places without limit."
    )

    class Meta:
        verbose_name = "libvirt complex"
        verbose_name_plural = "libvirt complexes"


class LibvirtFoundation(Foundation):
    """A virtual machine on a libvirt complex: created on the least loaded of its hosts by the `libvirt` tasks."""

    foundation_type = "libvirt"
    api_fields = ("complex", "host", "libvirt_uuid")

    complex = models.ForeignKey(LibvirtComplex, on_delete=models.PROTECT, related_name="vms")
    host = models.ForeignKey(
        "building.Structure",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="libvirt_vms",
        help_text="The VM host the VM was placed on; set by its create, cleared by its destroy.",
    )
    libvirt_uuid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="The libvirt domain UUID, chosen before the VM is defined so a repeated create finds the same VM.",
    )

    class Meta:
        verbose_name = "libvirt foundation"

    def clean(self):
        super().clean()
        if self.host_id and self.complex_id and not self.complex.members.filter(pk=self.host_id).exists():
            raise ValidationError({"host": f"{self.host} is not a host of complex {self.complex}."})

    @classmethod
    def api_serializer_fields(cls) -> dict:
        """The complex by name; the host (by hostname) and the libvirt UUID are Contractor's to set."""
        from rest_framework import serializers

        return {
            "complex": serializers.SlugRelatedField(slug_field="name", queryset=LibvirtComplex.objects.all()),
            "host": serializers.SlugRelatedField(slug_field="hostname", read_only=True),
            "libvirt_uuid": serializers.UUIDField(read_only=True),
        }

    def attributes(self) -> dict:
        """`_libvirt_complex`, `_libvirt_host` (empty until placed) and `_libvirt_uuid`."""
        return {
            **super().attributes(),
            "_libvirt_complex": self.complex.name,
            "_libvirt_host": self.host.hostname if self.host_id else "",
            "_libvirt_uuid": str(self.libvirt_uuid),
        }

    def tscript_functions(self, context) -> dict:
        """`foundation.create()`, the power functions, `set_boot` and `destroy`: `libvirt` tasks on its host."""
        # Lazy: the functions use this plugin's services and selectors, which import these models.
        from plugins.libvirt.tscript import libvirt_functions

        return libvirt_functions(self)
