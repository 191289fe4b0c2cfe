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
_finders: list[Finder] = []


def hosting_register(finder: Finder) -> None:
    """Make the job rules and the fleet questions see a plugin's hosted foundations (once per finder)."""
    if finder not in _finders:
        _finders.append(finder)


def hosted_foundations(*, foundation_ids=None, host_ids=None, complex_ids=None) -> list[Hosted]:
    """Every registered plugin's hosted foundations matching the filters, by foundation id."""
    found = []
    for finder in _finders:
        found += finder(foundation_ids=foundation_ids, host_ids=host_ids, complex_ids=complex_ids)
    return sorted(found, key=lambda hosted: hosted.foundation_id)


def hosting_of(foundation) -> Hosted | None:
    """Where `foundation` lives, if it is a hosted one."""
    found = hosted_foundations(foundation_ids=[foundation.pk])
    return found[0] if found else None
