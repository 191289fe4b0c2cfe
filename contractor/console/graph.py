"""Laying out a site's dependency graph as a picture: columns in build order, nodes coloured by state."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from contractor.building.selectors import site_dependency_graph
from contractor.foreman.choices import ACTIVE_STATES
from contractor.foreman.models import Job

NODE_WIDTH, NODE_HEIGHT = 180, 40
COLUMN_GAP, ROW_GAP, MARGIN = 90, 16, 24
LABEL_CHARS = 22
MIN_WIDTH = 900  # no picture shrinks below this width
SWEEPS = 4
KIND_ORDER = {"foundation": 0, "dependency": 1, "structure": 2, "complex": 3}


@dataclass
class Node:
    id: str
    kind: str
    label: str
    state: str
    pk: str
    busy: str = ""  # the state of its active job, if it has one
    rank: int = 0
    x: int = 0
    y: int = 0

    @property
    def short_label(self) -> str:
        return self.label if len(self.label) <= LABEL_CHARS else self.label[: LABEL_CHARS - 1] + "…"


@dataclass
class Edge:
    source: Node
    target: Node
    kind: str

    @property
    def path(self) -> str:
        """A curve from the right side of the node built first to the left side of the one built after it."""
        x1, y1 = self.source.x + NODE_WIDTH, self.source.y + NODE_HEIGHT // 2
        x2, y2 = self.target.x, self.target.y + NODE_HEIGHT // 2
        if x2 <= x1:  # same column (only in a cycle, which validation refuses): loop around the right
            return f"M{x1},{y1} C{x1 + 60},{y1} {x2 + NODE_WIDTH + 60},{y2} {x2 + NODE_WIDTH},{y2}"
        middle = (x1 + x2) // 2
        return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2 - 6},{y2}"


@dataclass
class Picture:
    nodes: list[Node]
    edges: list[Edge]
    width: int = 0
    height: int = 0

    @property
    def min_width(self) -> int:
        """A narrower card shrinks the picture (to half its size at most), then scrolls it."""
        return self.width if self.width <= MIN_WIDTH else max(MIN_WIDTH, self.width // 2)


def _build_order(edge: dict) -> tuple[str, str]:
    """(built first, built after): a foundation before its structure, members before their complex, and what is
    waited on before what waits (the API's `depends` edges point from the waiter to what it waits on)."""
    if edge["kind"] == "depends":
        return edge["to"], edge["from"]
    return edge["from"], edge["to"]


def _ranks(nodes: dict[str, Node], after: dict[str, list[str]]) -> None:
    """Each node's column: the longest chain of things built before it (Kahn's walk; a cycle goes last)."""
    incoming = defaultdict(int)
    for targets in after.values():
        for target in targets:
            incoming[target] += 1
    ready = [pk for pk in nodes if incoming[pk] == 0]
    seen = set()
    while ready:
        current = ready.pop()
        seen.add(current)
        for target in after[current]:
            nodes[target].rank = max(nodes[target].rank, nodes[current].rank + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    last = max((node.rank for node in nodes.values()), default=0) + 1
    for pk in nodes.keys() - seen:
        nodes[pk].rank = last


def _order(columns: list[list[Node]], before: dict[str, list[str]], after: dict[str, list[str]]) -> None:
    """Fewer crossings: sweep right then left, placing each node at the mean row of its neighbours."""
    row = {node.id: index for column in columns for index, node in enumerate(column)}
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        sequence = columns[1:] if forward else columns[-2::-1]
        for column in sequence:
            neighbours = before if forward else after

            def centre(node: Node, neighbours=neighbours) -> float:
                rows = [row[other] for other in neighbours[node.id]]
                return sum(rows) / len(rows) if rows else row[node.id]

            column.sort(key=centre)
            row.update((node.id, index) for index, node in enumerate(column))


def _active_jobs(site) -> dict[str, str]:
    """'kind:pk' -> job state of the site's foundations and structures that have an active job."""
    site_ids = site.descendant_ids()
    in_sites = Q(foundation__site_id__in=site_ids) | Q(structure__site_id__in=site_ids)
    rows = Job.objects.filter(in_sites, state__in=ACTIVE_STATES).values_list("foundation_id", "structure_id", "state")
    busy = {}
    for foundation, structure, state in rows:
        busy[f"foundation:{foundation}" if foundation else f"structure:{structure}"] = state
    return busy


def site_picture(site) -> Picture:
    """The site's dependency graph (site_dependency_graph) with every node placed."""
    graph = site_dependency_graph(site)
    busy = _active_jobs(site)
    nodes = {}
    for item in graph["nodes"]:
        pk = item["id"].split(":", 1)[1]
        nodes[item["id"]] = Node(item["id"], item["kind"], item["label"], item["state"] or "planned", pk,
                                 busy.get(item["id"], ""))  # fmt: skip
    after, before = defaultdict(list), defaultdict(list)
    edges = []
    for item in graph["edges"]:
        first, then = _build_order(item)
        after[first].append(then)
        before[then].append(first)
        edges.append(Edge(nodes[first], nodes[then], item["kind"]))
    _ranks(nodes, after)
    width = max((node.rank for node in nodes.values()), default=0) + 1
    columns = [[] for _ in range(width)]
    for node in sorted(nodes.values(), key=lambda node: (KIND_ORDER.get(node.kind, 9), node.label)):
        columns[node.rank].append(node)
    _order(columns, before, after)
    for rank, column in enumerate(columns):
        for index, node in enumerate(column):
            node.x = MARGIN + rank * (NODE_WIDTH + COLUMN_GAP)
            node.y = MARGIN + index * (NODE_HEIGHT + ROW_GAP)
    tallest = max((len(column) for column in columns), default=0)
    return Picture(
        nodes=list(nodes.values()),
        edges=edges,
        width=2 * MARGIN + width * NODE_WIDTH + (width - 1) * COLUMN_GAP,
        height=2 * MARGIN + max(tallest, 1) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP,
    )
