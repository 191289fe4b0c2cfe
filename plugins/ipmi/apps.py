"""Plugin config for IPMI foundations."""

from contractor.plugins import PluginConfig


class IpmiConfig(PluginConfig):
    default = True
    name = "plugins.ipmi"
    label = "ipmi"
    verbose_name = "IPMI foundations"
    min_version = "0.1.0"
    blueprints = "blueprints.toml"
    subcontractor_handlers = ("ipmi",)
