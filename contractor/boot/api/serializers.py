"""The PXE plan's query and body (docs/subcontractor.md): the view validates the one and builds the other here."""

from rest_framework import serializers


class PxePlanQuerySerializer(serializers.Serializer):
    """`?site=NAME`, repeatable: the sites whose plan is asked for (each one the subcontractor serves)."""

    site = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list, help_text="A site it serves."
    )

    def validate_site(self, names: list[str]) -> list[str]:
        names = [name for name in names if name]
        if not names:
            raise serializers.ValidationError("Name at least one site.")
        return names


class PxeHostSerializer(serializers.Serializer):
    mac = serializers.CharField()
    address = serializers.CharField()
    netmask = serializers.CharField()
    hostname = serializers.CharField()
    boot = serializers.CharField()


class PxePoolSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    netmask = serializers.CharField()
    boot = serializers.CharField()


class PxePlanSerializer(serializers.Serializer):
    """Static hosts (a MAC with its address) and dynamic pools, with the boot files (BIOS, UEFI) and TFTP server."""

    static = PxeHostSerializer(many=True)
    dynamic = PxePoolSerializer(many=True)
    boot_file = serializers.CharField()
    efi_boot_file = serializers.CharField()
    tftp_server = serializers.CharField(allow_blank=True)
