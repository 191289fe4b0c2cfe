"""The blueprint app's bridge to the TScript checker."""


def script_errors(source: str) -> list[str]:
    """Syntax errors in `source`, each as 'line L, column C: message' with the line and a caret."""
    try:
        from tscript import check
    except ImportError:  # the TScript package is not importable: accept, the foreman checks on run
        return []
    return [str(diagnostic) for diagnostic in check(source)]
