"""Hooks: how a lower layer asks a higher one for a rule or a reaction without importing it.

The lower module owns a `Hook` and calls it; the app that answers registers a function into it when it starts
(its `AppConfig.ready()`), so the import points down and only the call goes up (docs/architecture.md, Layers).
A hook nothing is registered into raises rather than answering nothing: a rule is never skipped because the
app that holds it did not start.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured, ValidationError


class Hook:
    """A named list of functions, called with keyword arguments in the order they were registered."""

    def __init__(self, name: str):
        self.name = name
        self._functions: list[Callable] = []

    def register(self, function: Callable) -> Callable:
        """Add `function` (once, however often its app starts); usable as a decorator."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def call(self, **kwargs) -> list:
        """Each registered function's answer, in order."""
        return [function(**kwargs) for function in self._registered()]

    def check(self, **kwargs) -> None:
        """Run every registered check; raise one ValidationError holding all their errors if any refused."""
        errors: dict = {}
        for function in self._registered():
            try:
                function(**kwargs)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _registered(self) -> list[Callable]:
        if not self._functions:
            raise ImproperlyConfigured(f"Nothing is registered into the {self.name} hook: is its app installed?")
        return self._functions
