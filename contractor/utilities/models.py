"""Network, AddressBlock, Address and the network interfaces of foundations and structures."""

import ipaddress

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contractor.db import Timestamped
from contractor.fields import OffsetField
from contractor.site.selectors import site_tree
from contractor.utilities.choices import AddressKind, AggregationMode
from contractor.validators import name_validator, normal_mac


class Network(Timestamped):
    """A layer-2 network in a site; its address blocks may each be on a VLAN."""

    name = models.CharField(max_length=100, validators=[name_validator])
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="networks")
    description = models.CharField(max_length=200, blank=True)
    mtu = models.PositiveIntegerField(default=1500, validators=[MinValueValidator(576), MaxValueValidator(65535)])

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="network_name_site_unique")]

    def __str__(self):
        return self.name


class AddressBlock(Timestamped):
    """An IPv4 or IPv6 subnet that addresses are allocated from."""

    name = models.CharField(max_length=100, validators=[name_validator])
    site = models.ForeignKey("site.Site", on_delete=models.PROTECT, related_name="address_blocks")
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.PROTECT, related_name="address_blocks")
    vlan = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(4094)], help_text="VLAN tag on its network; 0 is untagged."
    )
    subnet = models.GenericIPAddressField(help_text="The network address, e.g. 10.0.0.0 or 2001:db8::")
    prefix = models.PositiveSmallIntegerField(validators=[MaxValueValidator(128)])
    gateway_offset = OffsetField(
        null=True, blank=True, help_text="Offset of the gateway within the block (1 is the first address)."
    )
    classless_reverse = models.BooleanField(
        default=False,
        verbose_name="classless reverse zone (RFC 2317)",
        help_text="For an IPv4 block smaller than a /24: its PTRs go in a zone of its own (64-26.2.0.192.in-addr.arpa)"
        " that the /24's reverse zone delegates to and points CNAMEs into.",
    )

    class Meta:
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="addressblock_name_site_unique")]

    def __str__(self):
        return f"{self.name} ({self.subnet}/{self.prefix})"

    def _clean_overlap(self, network) -> None:
        """No overlap along the site's ancestry (its site, the sites above and below it): one address plan.

        Unrelated sites (siblings, other trees) may reuse a subnet, as separate networks behind their own routers.
        """
        tree = site_tree()
        related = set(tree.ancestors(self.site_id)) | tree.descendants(self.site_id)
        others = AddressBlock.objects.filter(site_id__in=related).exclude(pk=self.pk).select_related("site")
        for other in others:
            if other.ip_network.version == network.version and other.ip_network.overlaps(network):
                where = "this site" if other.site_id == self.site_id else f"site {other.site}"
                raise ValidationError({"subnet": f"{network} overlaps address block {other} in {where}."})

    @property
    def ip_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(f"{self.subnet}/{self.prefix}")

    @property
    def size(self) -> int:
        return self.ip_network.num_addresses

    @property
    def first_offset(self) -> int:
        """The lowest offset hosts may use (the network address is skipped where it is special)."""
        network = self.ip_network
        if network.version == 4 and self.prefix >= 31:
            return 0
        return 1 if network.num_addresses > 1 else 0

    @property
    def last_offset(self) -> int:
        """The highest offset hosts may use (the IPv4 broadcast is skipped), exact for any block (an IPv6 /64's
        EUI-64 half and a /48 included: offsets are stored whole, to 2**128 - 1)."""
        network = self.ip_network
        last = network.num_addresses - 1
        if network.version == 4 and self.prefix < 31:
            last -= 1
        return last

    def offset_refusal(self, offset: int) -> str | None:
        """Why an address may not be at `offset` (a sentence naming it), or None when it may."""
        address = self.address_at(offset) if 0 <= offset < self.size else f"offset {offset}"
        if offset < 0 or offset >= self.size:
            return f"{address} is not in {self.subnet}/{self.prefix}."
        if offset < self.first_offset:
            return f"{address} is the network address of {self}."
        if offset > self.last_offset:
            return f"{address} is the broadcast address of {self}."
        return None

    @property
    def gateway(self) -> str | None:
        if self.gateway_offset is None:
            return None
        return self.address_at(self.gateway_offset)

    @property
    def netmask(self) -> str:
        return str(self.ip_network.netmask)

    def address_at(self, offset: int) -> str:
        return str(self.ip_network.network_address + offset)

    def offset_of(self, address: str) -> int:
        ip = ipaddress.ip_address(address)
        if ip not in self.ip_network:
            raise ValidationError(f"{address} is not in {self.subnet}/{self.prefix}.")
        return int(ip) - int(self.ip_network.network_address)

    def clean(self):
        try:
            network = ipaddress.ip_network(f"{self.subnet}/{self.prefix}", strict=True)
        except ValueError as error:
            raise ValidationError({"subnet": str(error)}) from error
        self.subnet = str(network.network_address)
        if self.classless_reverse and not (network.version == 4 and network.prefixlen > 24):
            raise ValidationError({"classless_reverse": "Only an IPv4 block smaller than a /24 (/25 to /32) has one."})
        if self.gateway_offset is not None and self.offset_refusal(self.gateway_offset):
            raise ValidationError({"gateway_offset": self.offset_refusal(self.gateway_offset)})
        if self.site_id:
            self._clean_overlap(network)
        if self.network_id and self.site_id and self.network.site_id != self.site_id:
            raise ValidationError({"network": "The network must be in the block's site."})


class Address(Timestamped):
    """One address of a block: static on a structure's interface, reserved, or in a dynamic pool."""

    address_block = models.ForeignKey(AddressBlock, on_delete=models.PROTECT, related_name="addresses")
    offset = OffsetField()
    kind = models.CharField(max_length=10, choices=AddressKind.choices, default=AddressKind.STATIC)
    structure = models.ForeignKey(
        "building.Structure", null=True, blank=True, on_delete=models.CASCADE, related_name="addresses"
    )
    interface_name = models.CharField(max_length=50, blank=True)
    alias_index = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty for the interface's main address, 1.. for aliases."
    )
    is_primary = models.BooleanField(
        default=False, help_text="The structure's main address (its hostname points here)."
    )
    reason = models.CharField(max_length=200, blank=True, help_text="Why a reserved address is held.")
    pxe = models.ForeignKey(
        "blueprint.PXE",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dynamic_addresses",
        help_text="For dynamic pool addresses: what unknown machines booting from it get.",
    )

    class Meta:
        ordering = ["address_block", "offset"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(fields=["address_block", "offset"], name="address_block_offset_unique"),
            models.UniqueConstraint(
                fields=["structure"], condition=models.Q(is_primary=True), name="address_one_primary_per_structure"
            ),
            models.UniqueConstraint(
                fields=["structure", "interface_name", "alias_index"], name="address_interface_alias_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="static") | models.Q(structure__isnull=False) & ~models.Q(interface_name=""),
                name="address_static_needs_interface",
            ),
        ]

    def __str__(self):
        return self.ip_address if self.address_block_id else f"offset {self.offset}"

    @property
    def ip_address(self) -> str:
        return self.address_block.address_at(self.offset)

    def clean(self):
        errors = {}
        if self.kind == AddressKind.STATIC and (not self.structure_id or not self.interface_name):
            errors["interface_name"] = "A static address belongs to an interface of a structure: give both."
        if self.kind != AddressKind.STATIC and self.structure_id:
            errors["structure"] = f"A {self.kind} address is not on a structure."
        if self.address_block_id and self.offset is not None:
            block = self.address_block
            if not block.first_offset <= self.offset <= block.last_offset:
                refusal = block.offset_refusal(self.offset)
                errors["offset"] = f"{refusal} Offsets of {block} go from {block.first_offset} to {block.last_offset}."
            elif self.offset == block.gateway_offset:
                errors["offset"] = f"{block.address_at(self.offset)} is the gateway of {block}."
        if errors:
            raise ValidationError(errors)


class RealNetworkInterface(Timestamped):
    """A physical network interface of a foundation."""

    foundation = models.ForeignKey("building.Foundation", on_delete=models.CASCADE, related_name="interfaces")
    name = models.CharField(max_length=50, validators=[name_validator])
    mac = models.CharField(max_length=17, blank=True, help_text="aa:bb:cc:dd:ee:ff; empty until known.")
    physical_location = models.CharField(max_length=100, blank=True, help_text="e.g. 'eth0', 'NIC 2 port 1'.")
    is_provisioning = models.BooleanField(default=False, help_text="The interface the foundation PXE boots from.")
    network = models.ForeignKey(Network, null=True, blank=True, on_delete=models.SET_NULL, related_name="interfaces")
    pxe = models.ForeignKey(
        "blueprint.PXE", null=True, blank=True, on_delete=models.SET_NULL, related_name="interfaces"
    )

    class Meta:
        ordering = ["foundation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["foundation", "name"], name="interface_name_foundation_unique"),
            models.UniqueConstraint(fields=["mac"], condition=~models.Q(mac=""), name="interface_mac_unique"),
            models.UniqueConstraint(
                fields=["foundation"], condition=models.Q(is_provisioning=True), name="interface_one_provisioning"
            ),
        ]

    def __str__(self):
        return f"{self.foundation}:{self.name}"

    def clean(self):
        if self.mac:
            try:
                self.mac = normal_mac(self.mac)
            except ValueError as error:
                raise ValidationError({"mac": str(error)}) from error


class AggregatedNetworkInterface(Timestamped):
    """A bond or VLAN interface on a structure, made of its foundation's real interfaces."""

    structure = models.ForeignKey("building.Structure", on_delete=models.CASCADE, related_name="aggregated_interfaces")
    name = models.CharField(max_length=50, validators=[name_validator])
    primary = models.ForeignKey(RealNetworkInterface, on_delete=models.CASCADE, related_name="+")
    members = models.ManyToManyField(RealNetworkInterface, related_name="aggregates", blank=True)
    mode = models.CharField(max_length=20, choices=AggregationMode.choices, default=AggregationMode.ACTIVE_BACKUP)
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["structure", "name"]
        constraints = [models.UniqueConstraint(fields=["structure", "name"], name="aggregated_name_structure_unique")]

    def __str__(self):
        return f"{self.structure}:{self.name}"

    def clean(self):
        if self.primary_id and self.structure_id and self.primary.foundation_id != self.structure.foundation_id:
            raise ValidationError({"primary": "The primary interface must be on the structure's foundation."})
