"""Admin pages for networks, address blocks, addresses and interfaces."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from contractor.utilities import services
from contractor.utilities.models import Address, AddressBlock, AggregatedNetworkInterface, Network, RealNetworkInterface
from contractor.utilities.selectors import address_block_percent_used, address_blocks_with_counts, address_ip_q


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "mtu", "description"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["name", "description"]


@admin.register(AddressBlock)
class AddressBlockAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "network", "cidr", "vlan", "gateway", "usage"]
    list_filter = ["site", "network", "classless_reverse"]
    list_select_related = ["site", "network"]
    search_fields = ["name", "subnet"]
    readonly_fields = ["created", "updated"]

    def get_queryset(self, request):
        return address_blocks_with_counts(super().get_queryset(request))

    @admin.display(description="subnet", ordering="subnet")
    def cidr(self, block):
        return f"{block.subnet}/{block.prefix}"

    @admin.display(description="used", ordering="address_count")
    def usage(self, block):
        return f"{address_block_percent_used(block)}% ({block.address_count})"


class IPSearchMixin:
    """Lets the admin search box find addresses by their exact IP as well as by the text fields."""

    ip_lookup_prefix = ""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        matches = address_ip_q(search_term, self.ip_lookup_prefix) if search_term else None
        if matches is not None:
            results |= queryset.filter(matches)
        return results, may_have_duplicates


class AddressForm(forms.ModelForm):
    """Checks an address as the services do, with each refusal on its field of the form."""

    def validate_unique(self):
        # The services' slot checks name the field (is_primary, alias_index, offset); the constraints they stand
        # for would only say which constraint failed, so they run first.
        try:
            services.address_slots_check(address=self.instance)
        except ValidationError as error:
            self._update_errors(error)
            return
        super().validate_unique()


@admin.register(Address)
class AddressAdmin(IPSearchMixin, admin.ModelAdmin):
    """Addresses are written through the services (the block locked, every check run), as the API writes them."""

    form = AddressForm
    list_display = ["ip", "address_block", "kind", "structure", "interface_name", "alias_index", "is_primary"]
    list_filter = ["kind", "is_primary", "address_block__site", "address_block"]
    list_select_related = ["address_block", "structure"]
    search_fields = ["interface_name", "reason", "structure__hostname"]
    raw_id_fields = ["structure"]
    readonly_fields = ["created", "updated"]

    def get_readonly_fields(self, request, obj=None):
        # An address stays in its block: another block is another address (release this one, allocate that one).
        return [*self.readonly_fields, "address_block"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in services.ADDRESS_FIELDS}
        if change:
            services.address_update(address=obj, **fields)
            return
        saved = services.address_allocate(address_block=obj.address_block, **fields)
        obj.pk, obj.created, obj.updated = saved.pk, saved.created, saved.updated

    @admin.display(description="IP address", ordering="offset")
    def ip(self, address):
        return address.ip_address


@admin.register(RealNetworkInterface)
class RealNetworkInterfaceAdmin(admin.ModelAdmin):
    list_display = ["name", "foundation", "mac", "is_provisioning", "network", "pxe"]
    list_filter = ["is_provisioning", "network", "foundation__site"]
    list_select_related = ["foundation", "network", "pxe"]
    search_fields = ["name", "mac", "physical_location", "foundation__locator"]
    raw_id_fields = ["foundation"]
    readonly_fields = ["created", "updated"]


@admin.register(AggregatedNetworkInterface)
class AggregatedNetworkInterfaceAdmin(admin.ModelAdmin):
    list_display = ["name", "structure", "primary", "mode"]
    list_filter = ["mode"]
    list_select_related = ["structure", "primary__foundation"]
    search_fields = ["name", "structure__hostname"]
    raw_id_fields = ["structure", "primary"]
    filter_horizontal = ["members"]
    readonly_fields = ["created", "updated"]
