"""Admin pages for networks, address blocks, addresses and interfaces."""

from django.contrib import admin

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


@admin.register(Address)
class AddressAdmin(IPSearchMixin, admin.ModelAdmin):
    list_display = ["ip", "address_block", "kind", "structure", "interface_name", "alias_index", "is_primary"]
    list_filter = ["kind", "is_primary", "address_block__site", "address_block"]
    list_select_related = ["address_block", "structure"]
    search_fields = ["interface_name", "reason", "structure__hostname"]
    raw_id_fields = ["structure"]
    readonly_fields = ["created", "updated"]

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
