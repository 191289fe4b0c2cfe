"""Foundations that run on structures (VMs on VM hosts): the plugins that have them register how to find them.

The building app knows no foundation type that runs on another machine, but the job rules and the fleet
questions need to: a VM waits for its complex to be built, a VM host is destroyed only after its VMs, and a
host going down takes its VMs with it. A plugin whose foundations live on a complex registers a finder in its
AppConfig.ready(); the layers stay one way (the plugin imports this module, never the reverse).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hosted:
    """A foundation living on a complex, and the complex member (a structure) it was placed on, if it was."""

    foundation_id: int
    locator: str
    state: str
    complex_id: int
    host_id: int | None
    host_name: str = ""


#: finder(*, foundation_ids=None, host_ids=None, complex_ids=None) -> Iterable[Hosted]; a filter left at None
#: does not restrict; several given filters all apply. A filter is a list of ids or a queryset of them (a subquery).
Finder = Callable[..., Iterable[Hosted]]
#: Each finder with the foundation types its foundations are of (None: it did not say, so any may be).
_finders: dict[Finder, frozenset[str] | None] = {}


def hosting_register(finder: Finder, *, types: Iterable[str] | None = None) -> None:
    """Make the job rules and the fleet questions see a plugin's hosted foundations (once per finder). `types`
    names the foundation types it finds, so that asking where a foundation of another type lives costs no query."""
    _finders[finder] = frozenset(types) if types is not None else None


def hosted_foundations(*, foundation_ids=None, host_ids=None, complex_ids=None, kind: str = "") -> list[Hosted]:
    """Every registered plugin's hosted foundations matching the filters, by foundation id; with `kind` (a
    foundation type) only the finders that may find that type are asked."""
    found = []
    for finder, types in _finders.items():
        if kind and types is not None and kind not in types:
            continue
        found += finder(foundation_ids=foundation_ids, host_ids=host_ids, complex_ids=complex_ids)
    return sorted(found, key=lambda hosted: hosted.foundation_id)


def hosting_of(foundation) -> Hosted | None:
    """Where `foundation` lives, if it is a hosted one: no query for a type no finder names."""
    found = hosted_foundations(foundation_ids=[foundation.pk], kind=getattr(foundation, "type", "") or "")
    return found[0] if found else None
