"""The `config` module: the target's merged config, read-only and with secrets redacted."""

import re

from contractor.configuration import merged_config
from contractor.foreman.modules.lazy import LazyModule
from tscript import NotDefinedError

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def config_module(context) -> LazyModule:
    """Every config key that is a TScript name as a read-only value, and `config.get( name=, default= )` for any key.

    The config is computed once per step, when the script first uses the module.
    """
    return LazyModule("config", lambda module: _fill(module, context))


def _fill(module, context) -> None:
    cache = {}

    def values() -> dict:
        if "config" not in cache:
            cache["config"] = merged_config(context.job.target, reveal_secrets=False)
        return cache["config"]

    def get(name, default=None):
        return values().get(name, default)

    def value(name):
        def read():
            found = values()
            if name not in found:
                raise NotDefinedError(f"config.{name} is not defined")
            return found[name]

        return read

    module.add_function("get", get)
    for key in values():
        if NAME.match(key) and key != "get":
            module.add_value(key, getter=value(key))
