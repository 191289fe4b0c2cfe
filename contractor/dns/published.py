"""Services a structure publishes on another machine's address (a container's ports on its host): plugins that
have them register a finder, and the zone files give each an SRV record and the structure an address record.

A container's port is a port of its host's address, not an address of its own (an Address row is one address of
a block, held once), so it cannot be a static Address of the container's structure. The containers plugin
registers its finder in its AppConfig.ready(); dns imports no plugin (docs/architecture.md, Layers).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Published:
    """One published port of a structure: the service's own port and protocol, at `address`:`host_port`."""

    structure_id: int
    address: str
    port: int
    protocol: str
    host_port: int


#: finder(*, structure_ids=None) -> Iterable[Published]; None: every structure's.
Finder = Callable[..., Iterable[Published]]
_finders: list[Finder] = []


def published_register(finder: Finder) -> None:
    """Make the zone files see a plugin's published ports (once per finder)."""
    if finder not in _finders:
        _finders.append(finder)


def published_ports(*, structure_ids=None) -> list[Published]:
    """Every registered plugin's published ports of the structures `structure_ids` (None: all), in order."""
    found: list[Published] = []
    for finder in _finders:
        found.extend(finder(structure_ids=structure_ids))
    return sorted(found)
