"""The `foundation` module: the foundation a job works on, and its type's power functions."""

from contractor.discovery.tscript import discovery_functions
from contractor.foreman.modules.lazy import LazyModule
from tscript import OperandError


def _interfaces(foundation) -> list[dict]:
    return [
        {"name": i.name, "mac": i.mac, "is_provisioning": i.is_provisioning}
        for i in foundation.interfaces.order_by("name")
    ]


def _set_id_map(foundation, value):
    if not isinstance(value, dict):
        raise OperandError("foundation.id_map must be a map")
    foundation.id_map = value
    foundation.save(update_fields=["id_map", "updated"])


def foundation_module(context) -> LazyModule:
    """Values `locator`, `type`, `state`, `site`, `blueprint`, `interfaces`, `id_map` (writable by the
    foundation's own job), the functions the foundation type supplies through `tscript_functions(context)`, and
    `discover()` where those can PXE-boot the machine (contractor/discovery/tscript.py)."""
    return LazyModule("foundation", lambda module: _fill(module, context))


def _fill(module, context) -> None:
    foundation = context.foundation
    if foundation is None:
        return
    for name in ("locator", "type", "state"):
        module.add_value(name, getter=lambda name=name: getattr(foundation, name))
    module.add_value("site", getter=lambda: foundation.site.name)
    module.add_value("blueprint", getter=lambda: foundation.blueprint.name)
    module.add_value("interfaces", getter=lambda: _interfaces(foundation))
    own = context.job.foundation_id == foundation.pk
    setter = (lambda value: _set_id_map(foundation, value)) if own else None
    module.add_value("id_map", getter=lambda: foundation.id_map, setter=setter)
    hook = getattr(foundation, "tscript_functions", None)
    functions = hook(context) if hook else {}
    functions.update(discovery_functions(context, foundation, functions))  # discover(), where it can PXE-boot
    for name, function in functions.items():
        module.add_function(name, function)
