"""The lifecycle drawn as SVG straight from the rulebook's regions, without graphviz.

One box per region, stacked. Inside a box the states sit in layers, left to right: a state's layer is the
longest chain of forward moves leading to it (forward: towards a state listed later in the rulebook, or from
"any state"). Moves to the next layer are straight arrows; longer forward moves arc above, moves back arc below.
A move that keeps the state is written inside the state's box (↻). Text widths are estimated from character
counts, which is enough for the fixed font the page asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from ..policies.rulebook import REGIONS
from .style import FONT_FAMILY, state_colour

ANY = "any"
NAME_PX, NOTE_PX, LINE_PX = 8.4, 6.5, 13.0  # width of a bold 13px character, of an 11px one; height of a line
NODE_GAP, COLUMN_GAP_MIN, REGION_GAP, PAD = 26.0, 120.0, 24.0, 22.0
REGION_TITLES: dict[str, str] = {
    "judgement": "judgement: the latest Ofsted grade",
    "instrument": "instrument: the DfE's improvement notice or statutory direction",
    "delivery": "delivery: who runs the council's children's services",
    "supervision": "supervision: the year of support after intervention ends",
}
Point = tuple[float, float]


@dataclass(frozen=True)
class Edge:
    """Every move from one state to another, each as `trigger [guard]`."""

    source: str
    dest: str
    labels: tuple[str, ...]


@dataclass
class Node:
    name: str
    loops: tuple[str, ...]
    layer: int
    x: float = 0.0
    y: float = 0.0
    first_in_column: bool = False

    @property
    def text(self) -> str:
        return "any state" if self.name == ANY else self.name

    @property
    def width(self) -> float:
        return max(110.0, len(self.text) * NAME_PX + 24, *(len(loop) * NOTE_PX + 30 for loop in self.loops))

    @property
    def height(self) -> float:
        return 30.0 + LINE_PX * len(self.loops)

    def anchor(self, side: str) -> Point:
        x, y, w, h = self.x, self.y, self.width, self.height
        return {
            "left": (x, y + h / 2),
            "right": (x + w, y + h / 2),
            "top": (x + w / 2, y),
            "bottom": (x + w / 2, y + h),
        }[side]


@dataclass
class Canvas:
    """SVG elements and the box they cover."""

    parts: list[str] = field(default_factory=list)
    box: list[float] = field(default_factory=lambda: [1e9, 1e9, -1e9, -1e9])

    def add(self, svg: str, *points: Point) -> None:
        self.parts.append(svg)
        for x, y in points:
            self.box = [min(self.box[0], x), min(self.box[1], y), max(self.box[2], x), max(self.box[3], y)]


def lifecycle_svg(regions: Mapping[str, Mapping[str, Any]] = REGIONS) -> str:
    """A standalone SVG document: every region of the rulebook, its states and its labelled moves."""
    drawn = [(name, _draw_region(spec)) for name, spec in regions.items()]
    width = max((canvas.box[2] - canvas.box[0] for _, canvas in drawn), default=0) + 2 * PAD
    body, top = [], 10.0
    for name, canvas in drawn:
        height = canvas.box[3] - canvas.box[1] + 2 * PAD + 26
        shift = f"translate({PAD - canvas.box[0]:.1f},{top + PAD + 26 - canvas.box[1]:.1f})"
        body.append(
            f'<g class="region" id="region-{escape(name)}">'
            f'<rect x="0.5" y="{top:.1f}" width="{width - 1:.1f}" height="{height:.1f}" rx="10" fill="#ffffff" '
            f'stroke="#8a8a8a"/><text x="{PAD}" y="{top + 24:.1f}" font-size="15" font-weight="bold" '
            f'fill="#222">{escape(REGION_TITLES.get(name, name))}</text>'
            f'<g transform="{shift}">{"".join(canvas.parts)}</g></g>'
        )
        top += height + REGION_GAP
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{top:.0f}" '
        f'viewBox="0 0 {width:.0f} {top:.0f}" font-family="{FONT_FAMILY}" role="img" aria-labelledby="ie-lc-title">'
        '<title id="ie-lc-title">Lifecycle of a council, drawn from the rulebook</title>'
        '<defs><marker id="ie-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>'
        f"{''.join(body)}</svg>\n"
    )


def region_edges(spec: Mapping[str, Any]) -> list[Edge]:
    """The region's moves, merged per (source, destination); a `*` source becomes the node "any"."""
    merged: dict[tuple[str, str], list[str]] = {}
    for move in spec["transitions"]:
        raw = move["source"]
        sources = [ANY] if raw == "*" else [raw] if isinstance(raw, str) else list(raw)
        for source in sources:
            dest = source if move["dest"] == "=" else str(move["dest"])
            merged.setdefault((source, dest), []).append(_move_label(move))
    return [Edge(source, dest, tuple(labels)) for (source, dest), labels in merged.items()]


def _move_label(move: Mapping[str, Any]) -> str:
    guards = [*_names(move.get("conditions")), *(f"not {name}" for name in _names(move.get("unless")))]
    return f"{move['trigger']} [{' and '.join(guards)}]" if guards else str(move["trigger"])


def _names(value: Any) -> list[str]:
    return [] if not value else [value] if isinstance(value, str) else [str(name) for name in value]


# ----------------------------------------------------------------------------------------------------------------
# Layout.


def layout(spec: Mapping[str, Any], edges: Sequence[Edge]) -> dict[str, Node]:
    """Place every state: layer by longest forward chain, columns left to right, each column centred on y=0."""
    order = [*([ANY] if any(edge.source == ANY for edge in edges) else []), *map(str, spec["states"])]
    rank = {name: position for position, name in enumerate(order)}
    layers = dict.fromkeys(order, 0)
    for _ in order:
        for edge in edges:
            if _forward(edge, rank):
                layers[edge.dest] = max(layers[edge.dest], layers[edge.source] + 1)
    loops = {edge.source: edge.labels for edge in edges if edge.source == edge.dest}
    nodes = {name: Node(name, _loop_lines(loops.get(name, ())), layers[name]) for name in order}
    x = 40.0  # room for the initial-state dot
    for layer in range(max(layers.values(), default=0) + 1):
        column = sorted((n for n in nodes.values() if n.layer == layer), key=lambda n: (n.name == ANY, rank[n.name]))
        x = _place_column(column, x) + _gap(layer, edges, layers)
    return nodes


def _gap(layer: int, edges: Sequence[Edge], layers: Mapping[str, int]) -> float:
    """Room after a column for the labels of the arrows that cross to the next one (more when they fan out)."""
    crossing = [e for e in edges if layers[e.source] == layer and layers[e.dest] == layer + 1 and e.source != e.dest]
    widest = max((_label_width(edge.labels) for edge in crossing), default=0.0)
    return max(COLUMN_GAP_MIN, widest * (1.35 if len(crossing) > 2 else 1.0) + 60)


def _loop_lines(labels: Sequence[str]) -> tuple[str, ...]:
    """A move that keeps the state, written inside its box: `↻ trigger`, its guard indented below."""
    return tuple(f"↻ {line}" if not line.startswith("[") else f"    {line}" for line in _label_lines(labels))


def _place_column(column: Sequence[Node], x: float) -> float:
    """Stack a column's nodes centred on y=0; return the column's right edge."""
    width = max((node.width for node in column), default=0.0)
    y = -(sum(node.height for node in column) + NODE_GAP * (len(column) - 1)) / 2
    for position, node in enumerate(column):
        node.x, node.y, node.first_in_column = x + (width - node.width) / 2, y, position == 0 and len(column) > 1
        y += node.height + NODE_GAP
    return x + width


def _forward(edge: Edge, rank: Mapping[str, int]) -> bool:
    return edge.source != edge.dest and (edge.source == ANY or rank[edge.dest] > rank[edge.source])


def _label_width(labels: Sequence[str]) -> float:
    return max((len(line) for line in _label_lines(labels)), default=0) * NOTE_PX + 10


def _label_lines(labels: Sequence[str]) -> list[str]:
    """Each move on its own line, its guard on the next."""
    lines: list[str] = []
    for text in labels:
        trigger, _, guard = text.partition(" [")
        lines += [trigger, f"[{guard}"] if guard else [trigger]
    return lines


# ----------------------------------------------------------------------------------------------------------------
# Drawing.


def _draw_region(spec: Mapping[str, Any]) -> Canvas:
    edges = region_edges(spec)
    nodes = layout(spec, edges)
    canvas = Canvas()
    rank = {name: position for position, name in enumerate(nodes)}
    fan = {name: sum(1 for e in edges if e.source == name and _span(e, nodes) == 1) for name in nodes}
    for edge in edges:
        if edge.source != edge.dest:
            _draw_edge(canvas, edge, nodes, forward=_forward(edge, rank), fan=fan[edge.source])
    for node in nodes.values():
        _draw_node(canvas, node, initial=node.name == spec["initial"])
    return canvas


def _span(edge: Edge, nodes: Mapping[str, Node]) -> int:
    return abs(nodes[edge.dest].layer - nodes[edge.source].layer)


def _draw_edge(canvas: Canvas, edge: Edge, nodes: Mapping[str, Node], *, forward: bool, fan: int) -> None:
    source, dest = nodes[edge.source], nodes[edge.dest]
    span = _span(edge, nodes)
    if forward and span == 1:
        start, end = source.anchor("right"), dest.anchor("left")
        control, at = _midpoint(start, end), 0.5 if fan < 2 else 0.62 if fan == 2 else 0.66
    else:
        above = (forward and span > 1) or source.first_in_column
        side = "top" if above else "bottom"
        start, end = source.anchor(side), dest.anchor(side)
        lift = 34.0 + 44.0 * (span - 1)
        apex_y = min(start[1], end[1]) - lift if above else max(start[1], end[1]) + lift
        control, at = _control((start[0] + end[0]) / 2, apex_y, start, end), 0.5
    path = f"M{start[0]:.1f},{start[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
    canvas.add(
        f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.3" marker-end="url(#ie-arrow)"/>', start, end
    )
    _draw_label(canvas, _bezier(start, control, end, at), edge.labels)


def _draw_label(canvas: Canvas, centre: Point, labels: Sequence[str]) -> None:
    lines = _label_lines(labels)
    width, height = _label_width(labels), LINE_PX * len(lines) + 4
    left, top = centre[0] - width / 2, centre[1] - height / 2
    texts = "".join(
        f'<tspan x="{centre[0]:.1f}" y="{top + 12 + LINE_PX * row:.1f}"{_guard_style(line)}>{escape(line)}</tspan>'
        for row, line in enumerate(lines)
    )
    canvas.add(
        f'<g class="move"><rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" rx="3" '
        f'fill="#ffffff" fill-opacity="0.92"/><text font-size="11" text-anchor="middle" fill="#333">{texts}</text></g>',
        (left, top),
        (left + width, top + height),
    )


def _guard_style(line: str) -> str:
    return ' fill="#6a6a6a" font-style="italic"' if line.startswith("[") else ""


def _draw_node(canvas: Canvas, node: Node, *, initial: bool) -> None:
    colour = "#9a9a9a" if node.name == ANY else state_colour(node.name)
    dash = ' stroke-dasharray="5 3"' if node.name == ANY else ""
    lines = "".join(
        f'<text x="{node.x + 12:.1f}" y="{node.y + 40 + LINE_PX * row:.1f}" font-size="11" fill="#555">'
        f"{escape(loop)}</text>"
        for row, loop in enumerate(node.loops)
    )
    canvas.add(
        f'<g class="state" data-state="{escape(node.name)}"><rect x="{node.x:.1f}" y="{node.y:.1f}" '
        f'width="{node.width:.1f}" height="{node.height:.1f}" rx="8" fill="{colour}" fill-opacity="0.16" '
        f'stroke="{colour}" stroke-width="2.2"{dash}/><text x="{node.x + 12:.1f}" y="{node.y + 20:.1f}" '
        f'font-size="13" font-weight="bold" fill="#1d1d1d">{escape(node.text)}</text>{lines}</g>',
        (node.x, node.y),
        (node.x + node.width, node.y + node.height),
    )
    if initial:
        x, y = node.anchor("left")
        canvas.add(
            f'<circle cx="{x - 30:.1f}" cy="{y:.1f}" r="6" fill="#222"/><path d="M{x - 24:.1f},{y:.1f} '
            f'L{x - 1:.1f},{y:.1f}" stroke="#222" stroke-width="1.3" marker-end="url(#ie-arrow)"/>',
            (x - 36, y - 6),
        )


def _midpoint(start: Point, end: Point) -> Point:
    return (start[0] + end[0]) / 2, (start[1] + end[1]) / 2


def _control(apex_x: float, apex_y: float, start: Point, end: Point) -> Point:
    """The control point that puts a quadratic curve's midpoint at the apex."""
    return 2 * apex_x - (start[0] + end[0]) / 2, 2 * apex_y - (start[1] + end[1]) / 2


def _bezier(start: Point, control: Point, end: Point, at: float) -> Point:
    rest = 1 - at
    return (
        rest * rest * start[0] + 2 * rest * at * control[0] + at * at * end[0],
        rest * rest * start[1] + 2 * rest * at * control[1] + at * at * end[1],
    )
