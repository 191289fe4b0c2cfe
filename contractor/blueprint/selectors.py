"""Reads for blueprints: listing querysets and the inheritance graph (lineage, inherited scripts, what inherits)."""

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from graphlib import CycleError

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet

from contractor.blueprint.models import BluePrint, BluePrintParent, FoundationBluePrint, Script, StructureBluePrint
from contractor.graphs import descendants


def _ordered_parents() -> Prefetch:
    return Prefetch("parent_edges", queryset=BluePrintParent.objects.select_related("parent").order_by("position"))


def foundation_blueprint_list() -> QuerySet[FoundationBluePrint]:
    """Foundation blueprints with their ordered parents and scripts loaded."""
    return FoundationBluePrint.objects.prefetch_related(_ordered_parents(), "scripts")


def structure_blueprint_list() -> QuerySet[StructureBluePrint]:
    """Structure blueprints with their ordered parents, scripts and allowed foundation blueprints loaded."""
    return StructureBluePrint.objects.prefetch_related(_ordered_parents(), "scripts", "foundation_blueprint_list")


@dataclass
class BluePrintGraph:
    """Every blueprint's ordered parents, read in one query; the inheritance graph is walked in memory.

    This is the one walk of the graph that everything uses: a blueprint's lineage (the order config is applied
    and scripts are inherited in), the blueprints inheriting from one, and the path a new parent would close.
    """

    parents: dict[int, list[int]]
    children: dict[int, list[int]] = field(init=False)

    def __post_init__(self):
        self.children = defaultdict(list)
        for child, parents in self.parents.items():
            for parent in parents:
                self.children[parent].append(child)

    def lineage(self, pk: int) -> list[int]:
        """Ancestors depth first in their listed order, each once where first met, then `pk`.

        Raises graphlib.CycleError (its second argument the ids around the cycle) when the parents loop.
        """
        order: list[int] = []
        placed: set[int] = set()

        def visit(node: int, path: tuple[int, ...]):
            if node in path:
                raise CycleError("blueprint parents form a cycle", [*path[path.index(node) :], node])
            if node in placed:  # already placed, after all of its ancestors
                return
            for parent in self.parents.get(node, ()):
                visit(parent, (*path, node))
            placed.add(node)
            order.append(node)

        visit(pk, ())
        return order

    def descendants(self, pk: int) -> set[int]:
        """`pk` and every blueprint inheriting from it, however far down."""
        return descendants(pk, self.children)

    def path_up(self, start: int, goal: int) -> list[int] | None:
        """The ids from `start` up through parents to `goal` (both included), or None when `goal` is not above."""
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            if node == goal:
                return path
            if node not in seen:
                seen.add(node)
                stack.extend((parent, [*path, parent]) for parent in self.parents.get(node, ()))
        return None


def blueprint_graph() -> BluePrintGraph:
    """The whole inheritance graph (every blueprint id -> its parents' ids in order), from one query."""
    parents: dict[int, list[int]] = defaultdict(list)
    for child, parent in BluePrintParent.objects.order_by("child", "position").values_list("child_id", "parent_id"):
        parents[child].append(parent)
    return BluePrintGraph(dict(parents))


def _lineage_ids(blueprint: BluePrint, graph: BluePrintGraph | None = None) -> list[int]:
    try:
        return (graph or blueprint_graph()).lineage(blueprint.pk)
    except CycleError as error:
        names = dict(BluePrint.objects.filter(pk__in=error.args[1]).values_list("pk", "name"))
        loop = " -> ".join(names.get(pk, str(pk)) for pk in error.args[1])
        raise ValidationError(f"BluePrint parents form a cycle: {loop}.") from error


def blueprint_lineage(blueprint: BluePrint, *, graph: BluePrintGraph | None = None) -> list[BluePrint]:
    """Ancestors then `blueprint` itself: the order config is applied in. Two queries however deep (one with
    `graph` given); ancestors come as `blueprint`'s own class. A parent cycle is a ValidationError naming it."""
    if blueprint.pk is None:
        return [blueprint]
    ids = _lineage_ids(blueprint, graph)
    ancestors = type(blueprint).objects.in_bulk(ids[:-1])
    missing = [pk for pk in ids[:-1] if pk not in ancestors]
    if missing:  # an ancestor of another kind than `blueprint`'s class (validation refuses it): its base row
        ancestors.update(BluePrint.objects.in_bulk(missing))
    return [ancestors[pk] for pk in ids[:-1]] + [blueprint]


def blueprint_script(blueprint: BluePrint, name: str) -> Script | None:
    """The script called `name` found first from `blueprint` back up its lineage, or None: two queries."""
    ids = _lineage_ids(blueprint)
    found = {script.blueprint_id: script for script in Script.objects.filter(blueprint_id__in=ids, name=name)}
    return next((found[pk] for pk in reversed(ids) if pk in found), None)


def blueprint_script_names(blueprint: BluePrint) -> list[str]:
    """Every script name `blueprint` has or inherits: two queries."""
    ids = _lineage_ids(blueprint)
    return sorted(set(Script.objects.filter(blueprint_id__in=ids).values_list("name", flat=True)))


def structure_blueprint_allows(structure_blueprint: StructureBluePrint, foundation_blueprint: BluePrint) -> bool:
    """True when a foundation of `foundation_blueprint` may host a structure of `structure_blueprint`: an allowed
    foundation blueprint is listed somewhere along the structure blueprint's lineage and is in the foundation
    blueprint's own lineage. Two queries."""
    graph = blueprint_graph()
    through = StructureBluePrint.foundation_blueprint_list.through
    allowed = through.objects.filter(structureblueprint_id__in=_lineage_ids(structure_blueprint, graph))
    return allowed.filter(foundationblueprint_id__in=_lineage_ids(foundation_blueprint, graph)).exists()


class FoundationTypes:
    """The foundation types structure blueprints can sit on, answered for any number of them in three queries
    (made at the first question): the inheritance graph, every allowed-foundation link, every foundation
    blueprint's types. One per request or save (see `foundation_types_read_once`), so a list of blueprints
    costs the same few queries."""

    def __init__(self):
        self._graph: BluePrintGraph | None = None
        self._listed: dict[int, list[int]] = defaultdict(list)
        self._applies: dict[int, list] = {}

    def _load(self) -> BluePrintGraph:
        if self._graph is None:
            through = StructureBluePrint.foundation_blueprint_list.through
            for structure, foundation in through.objects.values_list("structureblueprint_id", "foundationblueprint_id"):
                self._listed[structure].append(foundation)
            self._applies = dict(FoundationBluePrint.objects.values_list("pk", "foundation_types"))
            self._graph = blueprint_graph()
        return self._graph

    def of(self, structure_blueprint: StructureBluePrint) -> list[str] | None:
        """The types a structure of `structure_blueprint` can sit on, or None when it may sit on any.

        The allowed foundation blueprints are those listed along its lineage and every blueprint inheriting
        one (as in `structure_blueprint_allows`); the types are theirs. None listed, or an allowed one that
        names no type, means any type.
        """
        graph = self._load()
        listed = [pk for ancestor in _lineage_ids(structure_blueprint, graph) for pk in self._listed[ancestor]]
        allowed = set().union(*(graph.descendants(pk) for pk in listed))
        if not allowed:
            return None
        types: set[str] = set()
        for pk in allowed:
            applies_to = self._applies.get(pk)
            if applies_to is None:
                continue  # not a foundation blueprint (validation keeps the kinds apart)
            if not applies_to:
                return None
            types.update(applies_to)
        return sorted(types)


_reading: ContextVar[FoundationTypes | None] = ContextVar("foundation_types", default=None)


@contextmanager
def foundation_types_read_once(index: FoundationTypes) -> Iterator[None]:
    """Inside the block, `structure_foundation_types` answers from `index` (hold one for a whole list)."""
    token = _reading.set(index)
    try:
        yield
    finally:
        _reading.reset(token)


def structure_foundation_types(structure_blueprint: StructureBluePrint) -> list[str] | None:
    """The foundation types a structure of `structure_blueprint` can sit on, or None when it may sit on any
    (`FoundationTypes.of`): three queries, or none inside `foundation_types_read_once` once the index is read."""
    return (_reading.get() or FoundationTypes()).of(structure_blueprint)
