"""Matplotlib charts (Agg backend, no pyplot state): a council's timeline and the national count by stage.

Each function returns a `Figure`; `svg_text` draws it as SVG (the page's one format). Dates go in as
`datetime.date` and the "concise" date converter labels the axis (the council bands go in as matplotlib's day
numbers, `date2num`, grouped into one `broken_barh` per row and colour).

Where the record is silent the charts say so (DESIGN decision 12): a band that is "nothing on record" is grey and
hatched, and the national count of councils in intervention is drawn as a floor ("at least N") beside the number of
councils whose DfE record a source covers. An inferred fact is a hollow diamond whose SVG `<title>` (the browser's
hover text) names the rule that inferred it.
"""

from __future__ import annotations

import datetime as dt
import io
import weakref
from collections.abc import Sequence
from html import escape
from typing import Any, Literal, TypeVar

from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..policies.rulebook import INTERVENTION_STAGES, STAGES
from ..projections.national import NationalCount
from .collect import Band, CouncilHistory, Marker, intervention_words, sentence
from .regions import RegionSeries
from .style import (
    COVERED_COLOUR,
    DEVIATION_COLOUR,
    FLOOR_COLOUR,
    INFERRED_COLOUR,
    NOTHING_ON_RECORD_COLOUR,
    NOTHING_ON_RECORD_HATCH,
    RESTING_COLOUR,
    RESTING_STATES,
    label,
    state_colour,
    text_colour,
    timer_style,
)

REGION_ROWS: dict[str, str] = {
    "judgement": "Grade",
    "instrument": "DfE instrument",
    "delivery": "Delivery",
    "supervision": "Supervision",
}
TIMER_ROW = "Timers fell due"
DEVIATION_ROW = "Deviations"
ROWS: tuple[str, ...] = (*REGION_ROWS.values(), TIMER_ROW, DEVIATION_ROW)
# Bottom to top of the national stack: services out of council control first, the grades last.
NATIONAL_ORDER: tuple[str, ...] = tuple(reversed(STAGES))
FLOOR = "in DfE intervention: at least this many (no instrument on record is not no instrument)"
COVERED = "councils whose DfE record a source covers (their count is exact)"

T = TypeVar("T")
# Hover text of the artists that carry one, by figure: written into the SVG as <title> (matplotlib writes none).
_TITLES: weakref.WeakKeyDictionary[Figure, dict[str, str]] = weakref.WeakKeyDictionary()


def new_figure(width: float, height: float, layout: Literal["constrained"] | None = "constrained") -> Figure:
    """A figure on the Agg canvas; `layout=None` for charts drawn by the hundred, whose margins are set by hand
    (constrained layout measures every label, about half the drawing time of a council chart)."""
    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def svg_text(figure: Figure, _name: str = "") -> str:
    """The figure as SVG text, drawn in memory (no date in it, as in `save`), with its hover titles."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    document = out.getvalue()
    for gid, title in _TITLES.get(figure, {}).items():
        document = document.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{escape(title)}</title>', 1)
    return document


def _hover(figure: Figure, artist: Artist, title: str) -> None:
    """Give `artist` a hover text: an SVG id, and the <title> `svg_text` writes inside its group."""
    titles = _TITLES.setdefault(figure, {})
    gid = f"hover-{len(titles)}"
    artist.set_gid(gid)
    titles[gid] = title


# ----------------------------------------------------------------------------------------------------------------
# A council's timeline.


def council_chart(history: CouncilHistory) -> Figure:
    """Bands for grade, instrument, delivery and supervision over one time axis; fired timers and deviations. The
    chart carries no legend: the page draws one for every council chart (`legend.py`)."""
    figure = new_figure(12, 3.6, layout=None)
    figure.subplots_adjust(left=0.105, right=0.99, top=0.9, bottom=0.09)
    axes = figure.add_subplot()
    rows = {row: len(ROWS) - 1 - position for position, row in enumerate(ROWS)}
    span = max((history.until - history.start).days, 1)
    _draw_bands(axes, history.bands, rows, span)
    _draw_inspections(axes, history.facts, rows[REGION_ROWS["judgement"]])
    _draw_inferred(figure, axes, history.facts, rows)
    _draw_timers(axes, history.timers, rows[TIMER_ROW])
    _draw_deviations(axes, history.deviations, rows[DEVIATION_ROW])
    axes.set_yticks(list(rows.values()), list(rows))
    axes.set_ylim(-0.6, len(ROWS) - 0.4)
    axes.set_xlim(_any(history.start - dt.timedelta(days=60)), _any(history.until + dt.timedelta(days=60)))
    axes.grid(axis="y", visible=False)
    axes.set_title(f"{history.name} ({history.code}): stage now {label(history.stage)}", loc="left")
    return figure


def _draw_bands(axes: Axes, bands: Sequence[Band], rows: dict[str, int], span: int) -> None:
    """Every band, one `broken_barh` per row and look (a bar per band costs a container each: the chart is drawn
    by the hundred); a state's name inside its band where it fits."""
    looks: dict[tuple[int, str, bool], list[tuple[float, float]]] = {}
    for band in bands:
        width = band.end - band.start
        if not width:
            continue  # a state held for no time at all (decided and started on the same day) leaves no band
        row = rows[REGION_ROWS[band.region]]
        resting = RESTING_STATES.get(band.region) == band.state
        colour = NOTHING_ON_RECORD_COLOUR if band.nothing_on_record else RESTING_COLOUR if resting else state_colour(
            band.state)  # fmt: skip
        start = float(date2num(band.start))  # type: ignore[no-untyped-call]
        looks.setdefault((row, colour, band.nothing_on_record), []).append((start, width.days))
        text = label(band.state)
        if not (band.nothing_on_record or resting) and width.days > span * (0.0068 * len(text) + 0.01):
            middle = start + width.days / 2  # the name fits inside the band
            axes.text(middle, row, text, ha="center", va="center", fontsize=8, color=text_colour(colour))
    for (row, colour, silent), spans in looks.items():
        style: dict[str, Any] = (
            {"hatch": NOTHING_ON_RECORD_HATCH, "edgecolor": "#9a9a9a", "linewidth": 0}
            if silent
            else {"edgecolor": "white"}
        )
        axes.broken_barh(spans, (row - 0.35, 0.7), facecolors=colour, **style)


def _draw_inspections(axes: Axes, facts: Sequence[Marker], row: int) -> None:
    days = [fact.on for fact in facts if fact.kind == "inspection_published"]
    if days:
        axes.plot(_any(days), [row + 0.42] * len(days), "v", color="#222222", markersize=5.3, zorder=3)


def _draw_inferred(figure: Figure, axes: Axes, facts: Sequence[Marker], rows: dict[str, int]) -> None:
    """A hollow diamond above the row of the region an inferred fact moved, its rule in the hover text."""
    style: dict[str, Any] = {"marker": "D", "markerfacecolor": "white", "markeredgecolor": INFERRED_COLOUR,
                             "markersize": 5.8, "markeredgewidth": 1.4, "linestyle": "none", "zorder": 4}  # fmt: skip
    for fact in facts:
        if fact.inferred:
            row = rows[REGION_ROWS.get(fact.region, REGION_ROWS["instrument"])]
            [drawn] = axes.plot(_any([fact.on]), [row + 0.42], **style)
            implied = f"; implied by {fact.implied_by}" if fact.implied_by else ""
            _hover(figure, drawn, f"{fact.on.isoformat()} inferred {fact.kind}: {fact.inference}{implied}")


def _draw_timers(axes: Axes, timers: Sequence[Marker], row: int) -> None:
    for kind in dict.fromkeys(timer.kind for timer in timers):
        colour, marker = timer_style(kind)
        days = [timer.on for timer in timers if timer.kind == kind]
        axes.plot(_any(days), [row] * len(days), marker, color=colour, markersize=6, zorder=3)


def _draw_deviations(axes: Axes, deviations: Sequence[Marker], row: int) -> None:
    for number, deviation in enumerate(deviations):
        axes.axvline(_any(deviation.on), color=DEVIATION_COLOUR, linestyle=":", linewidth=1, zorder=1)
        axes.plot(_any([deviation.on]), [row], "X", color=DEVIATION_COLOUR, markersize=7.7, zorder=3)
        offset = 0.28 if number % 2 == 0 else -0.32  # alternate above and below, so neighbours do not collide
        axes.text(_any(deviation.on), row + offset, f" {deviation.kind}", fontsize=7, color=DEVIATION_COLOUR)


# ----------------------------------------------------------------------------------------------------------------
# The national picture.


def national_chart(counts: Sequence[NationalCount]) -> Figure:
    """Councils by stage over time: every stage stacked; below it the stages of DfE intervention on their own, their
    total drawn as a floor ("at least N") beside the number of councils whose DfE record is covered."""
    figure = new_figure(12, 7.5)
    everything, intervention = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    days = [count.on for count in counts]
    stages = _stages(counts)
    _stack(everything, days, counts, stages)
    _stack(intervention, days, counts, [stage for stage in stages if stage in INTERVENTION_STAGES])
    if counts:
        _floor(intervention, days, counts)
    first, last = (days[0], days[-1]) if days else (dt.date(2014, 1, 1), dt.date(2014, 1, 1))
    everything.set_title(f"Councils by stage, monthly, {first:%B %Y} to {last:%-d %B %Y}", loc="left")
    title = sentence(intervention_words(counts[-1])) if counts else "Councils in DfE intervention"
    intervention.set_title(title, loc="left", fontsize=10)
    everything.set_ylabel("councils")
    intervention.set_ylabel("councils")
    return figure


def _floor(axes: Axes, days: Sequence[dt.date], counts: Sequence[NationalCount]) -> None:
    """The count of councils in intervention as a floor over the stack, and the covered councils beside it."""
    steps = _any(_steps(days)[1:])
    floors = _steps([count.in_intervention for count in counts])[:-1]
    covered = _steps([count.dfe_record_covered for count in counts])[:-1]
    halo = [patheffects.withStroke(linewidth=3.2, foreground="white")]  # readable over the coloured stack
    axes.plot(steps, floors, color=FLOOR_COLOUR, linewidth=1.6, label=FLOOR)
    axes.plot(steps, covered, color=COVERED_COLOUR, linewidth=1.6, linestyle="--", label=COVERED, path_effects=halo)
    last = counts[-1]
    floor = "" if last.complete else "at least "
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    for text, value, colour in (
        (f"{floor}{last.in_intervention}", last.in_intervention, FLOOR_COLOUR),
        (f"{last.dfe_record_covered} of {last.councils} covered", last.dfe_record_covered, COVERED_COLOUR),
    ):
        axes.annotate(text, (_any(days[-1]), value), xytext=(-6, 5), textcoords="offset points", ha="right",
                      va="bottom", fontsize=8, fontweight="bold", color=colour, bbox=box)  # fmt: skip
    top = max(max(count.in_intervention, count.dfe_record_covered) for count in counts)
    axes.set_ylim(0, max(axes.get_ylim()[1], top * 1.15, 1))
    handles, names = axes.get_legend_handles_labels()
    lines = [name for name in names if name in (FLOOR, COVERED)]
    order = lines + [name for name in reversed(names) if name not in lines]
    axes.legend([handles[names.index(name)] for name in order], order, loc="upper left", bbox_to_anchor=(1.01, 1),
                fontsize=8)  # fmt: skip


def regions_chart(series: Sequence[RegionSeries], columns: int = 3) -> Figure:
    """One small panel per region on a shared scale, the stages stacked; one legend for every panel."""
    rows = max(1, -(-len(series) // columns))
    figure = new_figure(12, 2.1 * rows + 0.6, layout=None)
    figure.subplots_adjust(left=0.05, right=0.99, top=1 - 0.45 / (2.1 * rows + 0.6), bottom=0.5 / (2.1 * rows + 0.6),
                           hspace=0.55, wspace=0.12)  # fmt: skip
    grid = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    stages = [stage for stage in INTERVENTION_STAGES if any(stage in one.stages for one in series)]
    for axes, one in zip(grid.flat, series, strict=False):
        steps = [day for day in one.days for _ in range(2)][1:]
        values = [[count for count in one.stages.get(stage, (0,) * len(one.days)) for _ in range(2)][:-1]
                  for stage in stages]  # fmt: skip
        if stages and one.days:
            axes.stackplot(steps, *values, colors=[state_colour(stage) for stage in stages])
            axes.set_xlim(_any(one.days[0]), _any(one.days[-1]))
        axes.set_title(one.title(), loc="left", fontsize=8.5, fontweight="bold")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for axes in list(grid.flat)[len(series) :]:
        axes.set_visible(False)
    if stages:
        handles = [Patch(facecolor=state_colour(stage)) for stage in stages]
        figure.legend(handles, [label(stage) for stage in stages], loc="lower center", ncols=len(stages), fontsize=9)
    return figure


def _stages(counts: Sequence[NationalCount]) -> list[str]:
    seen = {stage for count in counts for stage, number in count.stages.items() if number}
    return [stage for stage in NATIONAL_ORDER if stage in seen] + sorted(seen - set(NATIONAL_ORDER))


def _stack(axes: Axes, days: Sequence[dt.date], counts: Sequence[NationalCount], stages: Sequence[str]) -> None:
    if not stages:
        axes.text(0.5, 0.5, "no council in these stages", transform=axes.transAxes, ha="center", va="center")
        return
    values = [[count.stages.get(stage, 0) for count in counts] for stage in stages]
    colours = [state_colour(stage) for stage in stages]
    steps = [_steps(row) for row in values]
    axes.stackplot(_any(_steps(days)[1:]), *(row[:-1] for row in steps), labels=map(label, stages), colors=colours)
    axes.set_xlim(_any(days[0]), _any(days[-1]))
    axes.set_ylim(0, max(sum(column) for column in zip(*values, strict=True)) * 1.05 or 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles, names = axes.get_legend_handles_labels()
    axes.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)


def _steps(values: Sequence[T]) -> list[T]:
    """Each value twice, so that a stack holds a count until the next date instead of sloping towards it."""
    return [value for value in values for _ in range(2)]


def _any(value: object) -> Any:
    """Dates and timedeltas pass through matplotlib's unit converters; its stubs only know numbers."""
    return value
