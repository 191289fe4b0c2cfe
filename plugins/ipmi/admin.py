"""Admin of IPMI foundations; the BMC password is entered blind and kept when left empty."""

from django import forms
from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from plugins.ipmi.models import IPMIFoundation


class IPMIFoundationForm(forms.ModelForm):
    bmc_password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text="Leave empty to keep the current one."
    )

    class Meta:
        model = IPMIFoundation
        fields = ("bmc_address", "bmc_port", "bmc_username", "bmc_password", "sol_console")

    def clean_bmc_password(self):
        return self.cleaned_data["bmc_password"] or (self.instance.bmc_password if self.instance.pk else "")


@admin.register(IPMIFoundation)
class IPMIFoundationAdmin(FoundationTypeAdmin):
    form = IPMIFoundationForm
    type_fields = ("bmc_address", "bmc_port", "bmc_username", "bmc_password", "sol_console")
    search_fields = ("locator", "bmc_address")
