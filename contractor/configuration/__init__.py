"""The configuration engine: the merged config a site, blueprint, foundation or structure sees."""

from contractor.configuration.errors import ConfigError
from contractor.configuration.layers import config_layers, merged_config, traced_config
from contractor.configuration.redaction import redact

__all__ = ["ConfigError", "config_layers", "merged_config", "redact", "traced_config"]
