"""The blueprint app's bridge to the TScript checker: syntax errors block a save, module warnings do not."""

from tscript import check


def script_errors(source: str) -> list[str]:
    """Syntax errors in `source`, each as 'line L, column C: message' with the line and a caret."""
    return [str(diagnostic) for diagnostic in check(source)]


def script_warnings(source: str, blueprint) -> list[dict]:
    """Calls in `source` that would fail as not defined in a job of `blueprint`'s targets: unknown modules,
    functions and keyword arguments, as {line, column, message} (only for a script without syntax errors)."""
    # a structure blueprint's foundation types cost queries: only a script that calls foundation.* needs them
    modules = blueprint_modules(blueprint, foundation_calls="foundation." in source)
    if modules is None:
        return []
    found = check(source, modules=modules, warnings=True)
    if any(problem.severity == "error" for problem in found):
        return []
    return [
        {"line": p.line, "column": p.column, "message": p.message}
        for p in found
        if p.severity == "warning" and _about_modules(p.message)
    ]


def _about_modules(message: str) -> bool:
    # check() also warns about jump points and indentation; those are the script's own business here
    return message.startswith(("Unknown module", "Module '")) or "() has no parameter" in message


#: Says which TScript modules a job of a blueprint offers (see blueprint_modules); the foreman, which runs the
#: scripts, sets it when it starts (modules_described_by), so that this app below it does not import it.
_describer = None


def modules_described_by(describer) -> None:
    """Let the app that runs scripts say which modules a blueprint's jobs offer: `describer(blueprint,
    foundation_calls=...)` returns them described for `tscript.check`, or None when they are not known. Called from
    its AppConfig.ready()."""
    global _describer
    _describer = describer


def blueprint_modules(blueprint, *, foundation_calls: bool = True) -> dict | None:
    """The TScript modules a job of this blueprint offers, described for `tscript.check` (None: not known).

    With `foundation_calls` false (the script calls no foundation function) the foundation module's functions
    need not be known precisely (a structure blueprint's foundation blueprints are not read).
    """
    return _describer(blueprint, foundation_calls=foundation_calls) if _describer is not None else None
