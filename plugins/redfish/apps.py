"""Plugin config for Redfish foundations."""

from contractor.plugins import PluginConfig


class RedfishConfig(PluginConfig):
    default = True
    name = "plugins.redfish"
    label = "redfish"
    verbose_name = "Redfish foundations"
    min_version = "0.1.0"
    blueprints = "blueprints.toml"
    subcontractor_handlers = ("redfish",)
