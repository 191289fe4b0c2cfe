"""Admin of Redfish foundations; the BMC password is entered blind and kept when left empty."""

from django import forms
from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from plugins.redfish.models import RedfishFoundation

TYPE_FIELDS = ("bmc_url", "bmc_username", "bmc_password", "system_id", "verify_tls", "ca_bundle")


class RedfishFoundationForm(forms.ModelForm):
    bmc_password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text="Leave empty to keep the current one."
    )

    class Meta:
        model = RedfishFoundation
        fields = TYPE_FIELDS

    def clean_bmc_password(self):
        return self.cleaned_data["bmc_password"] or (self.instance.bmc_password if self.instance.pk else "")


@admin.register(RedfishFoundation)
class RedfishFoundationAdmin(FoundationTypeAdmin):
    form = RedfishFoundationForm
    type_fields = TYPE_FIELDS
    list_display = (*FoundationTypeAdmin.list_display, "bmc_url")
    search_fields = ("locator", "bmc_url", "system_id")
