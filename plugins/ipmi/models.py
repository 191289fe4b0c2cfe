"""IPMIFoundation: a server whose BMC a subcontractor drives over IPMI (RMCP+)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contractor.building.models import Foundation
from contractor.redaction import SecretCharField
from plugins.ipmi.tscript import ipmi_functions


class IPMIFoundation(Foundation):
    """A machine with a BMC: power and boot device are IPMI tasks for the site's subcontractor."""

    foundation_type = "ipmi"
    api_fields = ("bmc_address", "bmc_port", "bmc_username", "bmc_password", "sol_console")
    out_of_band_keys = ("_ipmi_*",)

    bmc_address = models.CharField(max_length=253, help_text="The BMC's IP address or hostname.")
    bmc_port = models.PositiveIntegerField(
        default=623, validators=[MinValueValidator(1), MaxValueValidator(65535)], help_text="RMCP+ UDP port."
    )
    bmc_username = models.CharField(max_length=64)
    bmc_password = SecretCharField(
        max_length=128, blank=True, help_text="Write-only over the API; in config as _ipmi_password (redacted)."
    )
    sol_console = models.BooleanField(default=False, help_text="The BMC offers a serial-over-LAN console.")

    class Meta:
        verbose_name = "IPMI foundation"

    def attributes(self) -> dict:
        """`_ipmi_*` config values; the password's key names a password, so config views redact it."""
        return {
            **super().attributes(),
            "_ipmi_address": self.bmc_address,
            "_ipmi_port": self.bmc_port,
            "_ipmi_username": self.bmc_username,
            "_ipmi_password": self.bmc_password,
            "_ipmi_sol_console": self.sol_console,
        }

    def bmc_parameters(self) -> dict:
        """The connection parameters every `ipmi` task takes (subcontractor/handlers/ipmi.py)."""
        return {
            "address": self.bmc_address,
            "port": self.bmc_port,
            "username": self.bmc_username,
            "password": self.bmc_password,
        }

    def tscript_functions(self, context) -> dict:
        """`foundation.power_on()` and the rest: remote calls answered by the subcontractor's `ipmi` module."""
        return ipmi_functions(self)
