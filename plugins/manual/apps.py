"""Plugin config for manual foundations."""

from contractor.plugins import PluginConfig


class ManualConfig(PluginConfig):
    default = True
    name = "plugins.manual"
    label = "manual"
    verbose_name = "Manual foundations"
    min_version = "0.1.0"
