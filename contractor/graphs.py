"""Walks of small in-memory graphs (the site tree, the blueprint inheritance graph) given as child lists."""

from collections.abc import Hashable, Mapping, Sequence


def descendants(root: Hashable, children: Mapping[Hashable, Sequence[Hashable]]) -> set:
    """`root` and everything below it, each once (a cycle ends the walk instead of looping)."""
    found, frontier = {root}, [root]
    while frontier:
        frontier = [child for node in frontier for child in children.get(node, ()) if child not in found]
        found.update(frontier)
    return found
