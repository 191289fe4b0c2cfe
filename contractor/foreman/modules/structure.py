"""The `structure` module: the structure a job works on (or the one on the job's foundation)."""

from contractor.foreman.modules.lazy import LazyModule


def structure_module(context) -> LazyModule:
    """Read-only values `hostname`, `state`, `config_uuid`, `site`, `blueprint`, `foundation` (its locator), `id`."""
    return LazyModule("structure", lambda module: _fill(module, context))


def _fill(module, context) -> None:
    structure = context.structure
    if structure is None:
        return
    module.add_value("id", getter=lambda: structure.pk)
    module.add_value("hostname", getter=lambda: structure.hostname)
    module.add_value("state", getter=lambda: structure.state)
    module.add_value("config_uuid", getter=lambda: str(structure.config_uuid))
    module.add_value("site", getter=lambda: structure.site.name)
    module.add_value("blueprint", getter=lambda: structure.blueprint.name)
    module.add_value("foundation", getter=lambda: structure.foundation.locator)
