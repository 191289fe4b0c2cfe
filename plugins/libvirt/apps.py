"""Plugin config for libvirt VM foundations and the complexes of VM hosts they run on."""

from contractor.plugins import PluginConfig


class LibvirtConfig(PluginConfig):
    default = True
    name = "plugins.libvirt"
    label = "libvirt"
    verbose_name = "libvirt VMs"
    min_version = "0.1.0"
    blueprints = "blueprints.toml"
    subcontractor_handlers = ("libvirt",)
    api_routes = (("libvirt-complexes", "plugins.libvirt.api.views.LibvirtComplexViewSet"),)

    def ready(self):
        super().ready()
        # Lazy: the selectors import this plugin's models, loaded only after the app configs.
        from contractor.building.hosting import hosting_register
        from plugins.libvirt.models import LibvirtFoundation
        from plugins.libvirt.selectors import hosted_vms

        hosting_register(hosted_vms, types=[LibvirtFoundation.foundation_type])
