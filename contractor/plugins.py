"""The plugin mechanism: plugins are Django apps that add foundation types and TScript modules.

A plugin lists itself in CONTRACTOR_PLUGINS (settings.PLUGINS), and its AppConfig subclasses
PluginConfig. Foundation types are the installed models that inherit from building's Foundation, each
of which names itself with a `foundation_type` class attribute; they are read from Django's app
registry, so this module, which sits below every app, imports none of them.
"""

from django.apps import AppConfig, apps

from contractor import __version__


class PluginConfig(AppConfig):
    """Base AppConfig for Contractor plugins.

    - `min_version` / `max_version`: the Contractor versions the plugin works with (checked at start).
    - `tscript_modules`: dotted paths of TScript module factories the foreman offers to scripts.
    - `subcontractor_handlers`: names of subcontractor task modules the plugin's tasks need.
    - `api_routes`: (URL prefix, dotted path of a viewset) pairs added under /api/v1/.
    - `blueprints`: a blueprints TOML file in the plugin's folder that `manage.py load_demo` loads too.
    """

    min_version: str | None = None
    max_version: str | None = None
    tscript_modules: tuple[str, ...] = ()
    subcontractor_handlers: tuple[str, ...] = ()
    api_routes: tuple[tuple[str, str], ...] = ()
    blueprints: str | None = None

    def ready(self):
        current = _version_tuple(__version__)
        if self.min_version and current < _version_tuple(self.min_version):
            raise RuntimeError(f"Plugin {self.name} needs Contractor >= {self.min_version}, this is {__version__}")
        if self.max_version and current > _version_tuple(self.max_version):
            raise RuntimeError(f"Plugin {self.name} needs Contractor <= {self.max_version}, this is {__version__}")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def plugin_configs() -> list[PluginConfig]:
    """Every installed plugin's AppConfig."""
    return [config for config in apps.get_app_configs() if isinstance(config, PluginConfig)]


def foundation_types() -> dict[str, type]:
    """Map of foundation type name -> concrete Foundation subclass, from every installed plugin."""
    base = apps.get_model("building", "Foundation")
    return {
        model.foundation_type: model
        for model in apps.get_models()
        if issubclass(model, base) and not model._meta.proxy and getattr(model, "foundation_type", None)
    }
