"""Admin of AWS accounts (credentials entered blind, kept when left empty) and EC2 foundations."""

from django import forms
from django.contrib import admin

from contractor.building.admin import FoundationTypeAdmin
from plugins.aws import services
from plugins.aws.models import AWSAccount, EC2Foundation
from plugins.aws.selectors import aws_account_queryset


class AWSAccountForm(forms.ModelForm):
    access_key_id = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                    help_text="Leave empty to keep the current one.")  # fmt: skip
    secret_access_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                        help_text="Leave empty to keep the current one.")  # fmt: skip
    session_token = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                    help_text="Leave empty to keep the current one.")  # fmt: skip
    clear_credentials = forms.BooleanField(required=False, help_text="Forget the credentials (use the "
                                           "subcontractor's own).")  # fmt: skip

    class Meta:
        model = AWSAccount
        fields = ("name", "description", "site", "region", "endpoint_url", *AWSAccount.secret_fields, "default_vpc",
                  "default_subnet", "default_security_groups")  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        for name in AWSAccount.secret_fields:
            if cleaned.get("clear_credentials"):
                cleaned[name] = ""
            elif not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
            setattr(self.instance, name, cleaned[name])
        return cleaned


@admin.register(AWSAccount)
class AWSAccountAdmin(admin.ModelAdmin):
    form = AWSAccountForm
    list_display = ("name", "site", "region", "endpoint_url", "instance_count")
    list_filter = ("site", "region")
    search_fields = ("name",)

    def get_queryset(self, request):
        return aws_account_queryset()

    @admin.display(ordering="instance_count", description="instances")
    def instance_count(self, account):
        return account.instance_count

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in ("description", *services.ACCOUNT_FIELDS)}
        if change:
            services.aws_account_update(account=obj, name=obj.name, site=obj.site, **fields)
        else:
            saved = services.aws_account_create(name=obj.name, site=obj.site, **fields)
            obj.pk = obj.complex_ptr_id = saved.pk


@admin.register(EC2Foundation)
class EC2FoundationAdmin(FoundationTypeAdmin):
    type_fields = ("account",)
    readonly_fields = (*FoundationTypeAdmin.readonly_fields, "instance_id")
    list_display = (*FoundationTypeAdmin.list_display, "account", "instance_id")
    list_select_related = ("site", "blueprint", "account")
    search_fields = ("locator", "instance_id")
