"""Plugin config for container foundations and the complexes of container hosts they run on."""

from contractor.plugins import PluginConfig


class ContainersConfig(PluginConfig):
    default = True
    name = "plugins.containers"
    label = "containers"
    verbose_name = "Containers"
    min_version = "0.1.0"
    blueprints = "blueprints.toml"
    subcontractor_handlers = ("containers",)
    api_routes = (
        ("container-complexes", "plugins.containers.api.views.ContainerComplexViewSet"),
        ("container-ports", "plugins.containers.api.views.ContainerPortViewSet"),
    )

    def ready(self):
        super().ready()
        # Lazy: the selectors import this plugin's models, loaded only after the app configs.
        from contractor.building.hosting import hosting_register
        from contractor.dns.published import published_register
        from plugins.containers.models import ContainerFoundation
        from plugins.containers.selectors import hosted_containers, published_container_ports

        hosting_register(hosted_containers, types=[ContainerFoundation.foundation_type])
        published_register(published_container_ports)
