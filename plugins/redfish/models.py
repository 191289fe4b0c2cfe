"""RedfishFoundation: a server whose BMC a subcontractor drives over Redfish (HTTP or HTTPS)."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models

from contractor.building.models import Foundation
from contractor.redaction import SecretCharField


class RedfishFoundation(Foundation):
    """A machine with a Redfish BMC: power, boot override and inventory are `redfish` tasks for the site's
    subcontractor (subcontractor/handlers/redfish.py)."""

    foundation_type = "redfish"
    api_fields = ("bmc_url", "bmc_username", "bmc_password", "system_id", "verify_tls", "ca_bundle")
    #: Fields that hold secrets: write-only over the API, entered blind in the admin, masked in the audit log.
    secret_fields = ("bmc_password",)
    out_of_band_keys = ("_redfish_*",)

    bmc_url = models.CharField(
        max_length=255, help_text="The BMC's base URL, such as https://10.0.0.5 (the /redfish/v1 root is below it)."
    )
    bmc_username = models.CharField(max_length=64)
    bmc_password = SecretCharField(
        max_length=128, blank=True, help_text="Write-only over the API; in config as _redfish_password (redacted)."
    )
    system_id = models.CharField(
        max_length=128, blank=True, help_text="The ComputerSystem's Id; blank for the only system the BMC has."
    )
    verify_tls = models.BooleanField(default=True, help_text="Check the BMC's HTTPS certificate.")
    ca_bundle = models.CharField(
        max_length=255,
        blank=True,
        help_text="A CA bundle on the subcontractor's machine to check the certificate against; blank for the "
        "system's trusted CAs.",
    )

    class Meta:
        verbose_name = "Redfish foundation"

    def clean(self):
        super().clean()
        parts = urlsplit(self.bmc_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError({"bmc_url": "The BMC URL must be http:// or https:// followed by a host."})
        if self.ca_bundle and not self.ca_bundle.startswith("/"):
            raise ValidationError({"ca_bundle": "The CA bundle must be an absolute path on the subcontractor."})
        if self.ca_bundle and not self.verify_tls:
            raise ValidationError({"ca_bundle": "A CA bundle is only used when verify_tls is on."})

    def attributes(self) -> dict:
        """`_redfish_*` config values; the password's key names a password, so config views redact it."""
        return {
            **super().attributes(),
            "_redfish_url": self.bmc_url,
            "_redfish_username": self.bmc_username,
            "_redfish_password": self.bmc_password,
            "_redfish_system_id": self.system_id,
            "_redfish_verify_tls": self.verify_tls,
        }

    def bmc_parameters(self) -> dict:
        """The connection parameters every `redfish` task takes (subcontractor/handlers/redfish.py)."""
        parameters = {
            "url": self.bmc_url,
            "username": self.bmc_username,
            "password": self.bmc_password,
            "verify": (self.ca_bundle or True) if self.verify_tls else False,
        }
        if self.system_id:
            parameters["system_id"] = self.system_id
        return parameters

    def tscript_functions(self, context) -> dict:
        """`foundation.power_on()` and the rest: remote calls answered by the subcontractor's `redfish` module."""
        # Lazy: the functions use this plugin's services, which import these models.
        from plugins.redfish.tscript import redfish_functions

        return redfish_functions(self)
