"""What a blueprint's jobs would offer its scripts, described for `tscript.check` without running anything: module
factories are called with a stand-in context and only declare their functions."""

from contractor.blueprint.models import StructureBluePrint
from contractor.blueprint.selectors import structure_foundation_types
from contractor.discovery.tscript import discovery_functions
from contractor.foreman.modules import modules_for
from contractor.foreman.modules.lazy import LazyModule
from contractor.plugins import foundation_types
from tscript.modules import describe, parameters


class _DeclarationContext:
    """Stands in for a job's context while module factories only declare their functions (nothing runs)."""

    job = foundation = structure = None

    def pause(self, message: str) -> None:
        pass

    def sleep(self, seconds: float) -> None:
        pass


def blueprint_modules(blueprint, *, foundation_calls: bool = True) -> dict | None:
    """The TScript modules a job of this blueprint offers, described for `tscript.check` (None: not known); what
    `contractor.blueprint.scripting` asks when it checks a script (ForemanConfig.ready() hands it this).

    The foundation module's functions come from the foundation types a job of the blueprint can
    meet: a foundation blueprint's own types, a structure blueprint's the types of the foundation
    blueprints it may sit on (all installed types when either names none). A call is flagged only
    when none of them has it. Modules filled from the job (structure, config) are known by name only.
    With `foundation_calls` false (the script calls no foundation function) a structure blueprint's
    foundation blueprints are not read.
    """
    context = _DeclarationContext()
    try:
        modules = modules_for(context)
        types = foundation_types()
        if isinstance(blueprint, StructureBluePrint) and foundation_calls:
            wanted = structure_foundation_types(blueprint) or list(types)
        else:
            wanted = getattr(blueprint, "foundation_types", None) or list(types)  # a structure's: all of them
        foundation = {}
        for name in wanted:
            model = types.get(name)
            hook = getattr(model, "tscript_functions", None) if model is not None else None
            stand_in = model() if model is not None else None
            functions = hook(stand_in, context) if hook else {}
            functions.update(discovery_functions(context, stand_in, functions))
            for function_name, function in functions.items():
                takes = parameters(function)
                known = foundation.get(function_name, [])
                merged = None if takes is None or known is None else known + [t for t in takes if t not in known]
                foundation[function_name] = merged
    except Exception:  # noqa: BLE001 - a plugin that cannot declare its modules must not block a save
        return None
    described = describe([module for module in modules if not isinstance(module, LazyModule)])
    described.update(dict.fromkeys(module.name for module in modules if isinstance(module, LazyModule)))
    described["foundation"] = foundation
    return described
