"""The configuration engine: the merged config a site, blueprint, foundation or structure sees.

The package is also a Django app (apps.py registers the config check), and Django imports an app's package
before any model can be: so the engine's names are loaded from their modules when first used, not here.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contractor.configuration.errors import ConfigError
    from contractor.configuration.layers import config_layers, merged_config, traced_config
    from contractor.redaction import redact

_EXPORTS = {
    "ConfigError": "contractor.configuration.errors",
    "config_layers": "contractor.configuration.layers",
    "merged_config": "contractor.configuration.layers",
    "traced_config": "contractor.configuration.layers",
    "redact": "contractor.redaction",
}
__all__ = ["ConfigError", "config_layers", "merged_config", "redact", "traced_config"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
