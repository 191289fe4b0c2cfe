"""Endpoints a higher app adds to a lower app's viewset: `sites/<name>/config/` is answered by the config engine,
`sites/<name>/dependency-graph/` by building, neither of which the site app may import."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.decorators import MethodMapper


def viewset_action_add(viewset: type, action) -> None:
    """Give `viewset` (and its subclasses) the extra action `action`, a function decorated with DRF's @action.

    Called from the higher app's AppConfig.ready(), before any URL is resolved or the schema is built, so the
    routers and the schema see it as if it were written in the viewset.
    """
    if not isinstance(getattr(action, "mapping", None), MethodMapper):
        raise TypeError(f"{action!r} is not a viewset @action")
    present = viewset.__dict__.get(action.__name__)
    if present is not None and present is not action:
        raise ImproperlyConfigured(f"{viewset.__name__} already has an attribute {action.__name__!r}")
    setattr(viewset, action.__name__, action)
