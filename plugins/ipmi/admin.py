"""Admin of IPMI foundations; the BMC password (a SecretCharField) is entered blind and kept when left empty."""

from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from plugins.ipmi.models import IPMIFoundation


@admin.register(IPMIFoundation)
class IPMIFoundationAdmin(FoundationTypeAdmin):
    type_fields = ("bmc_address", "bmc_port", "bmc_username", "bmc_password", "sol_console")
    search_fields = ("locator", "bmc_address")
