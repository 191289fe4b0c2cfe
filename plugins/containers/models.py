"""ContainerComplex (a complex of container hosts), ContainerFoundation (a container placed on one of them) and
ContainerPort (a host port Contractor gave a container: unique per host, so two containers never share one)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from contractor.building.models import Complex, Foundation

DEFAULT_ENGINE = "unix:///run/docker.sock"
PROTOCOLS = (("tcp", "tcp"), ("udp", "udp"), ("sctp", "sctp"))


class ContainerComplex(Complex):
    """A complex whose members are container hosts (structures running dockerd or `podman system service`).

    Each host's engine address is its structure's `container_engine_url` config value (default the local
    Docker socket); the host ports given to containers come from its `container_port_min`..`container_port_max`.
    """

    max_containers_per_host = models.PositiveIntegerField(
        default=0, help_text="Placement skips a host holding this many containers; 0 places without limit."
    )

    class Meta:
        verbose_name = "container complex"
        verbose_name_plural = "container complexes"


class ContainerFoundation(Foundation):
    """A container on a container complex: created on the least loaded of its hosts by the `containers` tasks."""

    foundation_type = "container"
    api_fields = ("complex", "host", "container_id", "ports")

    complex = models.ForeignKey(ContainerComplex, on_delete=models.PROTECT, related_name="containers")
    host = models.ForeignKey(
        "building.Structure",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="hosted_containers",
        help_text="The container host it was placed on; set by its create, cleared by its destroy.",
    )
    token = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Labels the container on its engine, so a repeated create finds the same container.",
    )
    container_id = models.CharField(
        max_length=100, blank=True, editable=False, help_text="The engine's id of the container; empty when gone."
    )

    class Meta:
        verbose_name = "container foundation"

    def clean(self):
        super().clean()
        if self.host_id and self.complex_id and not self.complex.members.filter(pk=self.host_id).exists():
            raise ValidationError({"host": f"{self.host} is not a host of complex {self.complex}."})

    @property
    def container_name(self) -> str:
        """The container's name on its engine: the locator (unique in Contractor)."""
        return self.locator

    @classmethod
    def api_serializer_fields(cls) -> dict:
        """The complex by name; the host, the engine's id and the published ports are Contractor's to set."""
        from rest_framework import serializers

        return {
            "complex": serializers.SlugRelatedField(slug_field="name", queryset=ContainerComplex.objects.all()),
            "host": serializers.SlugRelatedField(slug_field="hostname", read_only=True),
            "container_id": serializers.CharField(read_only=True),
            "ports": _port_serializer()(many=True, read_only=True),
        }

    def attributes(self) -> dict:
        """`_container_complex`, `_container_host` (empty until placed), `_container_id` and `_container_ports`
        ({"8080/tcp": 30001, ...}: the host port published for each container port)."""
        return {
            **super().attributes(),
            "_container_complex": self.complex.name,
            "_container_host": self.host.hostname if self.host_id else "",
            "_container_id": self.container_id,
            "_container_ports": {f"{p.container_port}/{p.protocol}": p.host_port for p in self.ports.all()},
        }

    def tscript_functions(self, context) -> dict:
        """`create`, `destroy`, `power_on`, `power_off`, `power_state` and `wait_port( port= )`."""
        from plugins.containers.tscript import container_functions

        return container_functions(self)


def _port_serializer():
    from rest_framework import serializers

    class PublishedPortSerializer(serializers.ModelSerializer):
        """A published port: the container's port and protocol, and the host port Contractor gave it."""

        host = serializers.SlugRelatedField(slug_field="hostname", read_only=True)

        class Meta:
            model = ContainerPort
            fields = ("container_port", "protocol", "host", "host_port", "address")

    return PublishedPortSerializer


class ContainerPort(models.Model):
    """A host port published for one of a container's ports; allocated at placement, released at destroy."""

    foundation = models.ForeignKey(ContainerFoundation, on_delete=models.CASCADE, related_name="ports")
    host = models.ForeignKey("building.Structure", on_delete=models.PROTECT, related_name="container_ports")
    container_port = models.PositiveIntegerField()
    protocol = models.CharField(max_length=4, choices=PROTOCOLS, default="tcp")
    host_port = models.PositiveIntegerField()
    address = models.CharField(
        max_length=45,
        blank=True,
        help_text="The host's address the port is published on (its container_publish_address, else its primary "
        "address); with host_port, where the service answers. Empty when the host has none.",
    )

    class Meta:
        ordering = ("foundation", "container_port", "protocol")
        constraints = [
            models.UniqueConstraint(fields=("host", "host_port"), name="container_port_unique_per_host"),
            models.UniqueConstraint(
                fields=("foundation", "container_port", "protocol"), name="container_port_once_per_foundation"
            ),
        ]

    def __str__(self):
        return (
            f"{self.address or self.host}:{self.host_port} -> {self.foundation}:{self.container_port}/{self.protocol}"
        )
