"""One legend for a section of charts, instead of one under every chart.

The items are read from the data the charts draw (`legend_items`), never from the drawn figures, so the council
charts can be drawn in other processes and the page still gets the legend of everything they show: the states of
the bands, "nothing on record" (grey and hatched) where a band stands for silence, inspections, inferred facts,
each kind of timer that fell due, deviations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..policies.rulebook import STAGES
from . import style
from .charts import new_figure
from .collect import CouncilHistory
from .style import label, state_colour

NOTHING_ON_RECORD = "nothing on record: no source covers this"
RESTING = "no instrument / council delivers"
INSPECTION = "inspection published"
INFERRED = "inferred fact (no source states it; its rule on hover)"
DEVIATION = "deviation (rule id)"

# (kind, name): kind is `state`, `timer` or `mark`; a mark's name is its label.
Item = tuple[str, str]
_MARK_ORDER = (RESTING, NOTHING_ON_RECORD, INSPECTION, INFERRED, DEVIATION)


def legend_items(histories: Iterable[CouncilHistory]) -> list[Item]:
    """What the council charts of `histories` show, in a fixed order: states (as the lifecycle orders stages),
    then the marks, then the timers by name."""
    states: set[str] = set()
    marks: set[str] = set()
    timers: set[str] = set()
    for history in histories:
        for band in history.bands:
            if band.start == band.end:
                continue  # drawn as nothing
            if band.nothing_on_record:
                marks.add(NOTHING_ON_RECORD)
            elif style.RESTING_STATES.get(band.region) == band.state:
                marks.add(RESTING)
            else:
                states.add(band.state)
        marks |= {INSPECTION for fact in history.facts if fact.kind == "inspection_published"}
        marks |= {INFERRED for fact in history.facts if fact.inferred}
        marks |= {DEVIATION for _ in history.deviations[:1]}
        timers |= {timer.kind for timer in history.timers}
    order = [*STAGES, *sorted(states - set(STAGES))]
    return [
        *(("state", state) for state in order if state in states),
        *(("mark", mark) for mark in _MARK_ORDER if mark in marks),
        *(("timer", kind) for kind in sorted(timers)),
    ]


def item_label(item: Item) -> str:
    kind, name = item
    return f"timer: {label(name)}" if kind == "timer" else label(name) if kind == "state" else name


def item_handle(item: Item) -> Artist:
    """The swatch or marker a chart draws for `item`."""
    kind, name = item
    if kind == "state":
        return Patch(facecolor=state_colour(name))
    if kind == "timer":
        colour, marker = style.timer_style(name)
        return Line2D([], [], linestyle="none", marker=marker, color=colour)
    marks: dict[str, Artist] = {
        RESTING: Patch(facecolor=style.RESTING_COLOUR),
        NOTHING_ON_RECORD: Patch(facecolor=style.NOTHING_ON_RECORD_COLOUR, hatch=style.NOTHING_ON_RECORD_HATCH,
                                 edgecolor="#9a9a9a", linewidth=0),
        INSPECTION: Line2D([], [], linestyle="none", marker="v", color="#222222"),
        INFERRED: Line2D([], [], linestyle="none", marker="D", color=style.INFERRED_COLOUR, fillstyle="none"),
        DEVIATION: Line2D([], [], linestyle="none", marker="X", color=style.DEVIATION_COLOUR),
    }  # fmt: skip
    return marks[name]


def legend_figure(items: Sequence[Item], columns: int = 4) -> Figure:
    """A figure holding only the legend of `items` (matplotlib draws the swatches, hatches and markers exactly as
    the charts do)."""
    rows = max(1, -(-len(items) // columns))
    figure = new_figure(12, 0.2 * rows + 0.15, layout=None)
    if items:
        figure.legend([item_handle(item) for item in items], [item_label(item) for item in items], loc="center",
                      ncols=columns, fontsize=9, frameon=False)  # fmt: skip
    return figure
