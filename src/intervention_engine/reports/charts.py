"""Matplotlib charts (Agg backend, no pyplot state): a council's timeline and the national count by stage.

Each function returns a `Figure`; `save` writes it as SVG and PNG. Dates go in as `datetime.date` and the
"concise" date converter labels the axis, so nothing here converts dates by hand.

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
from pathlib import Path
from typing import Any, TypeVar

from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..policies.rulebook import INTERVENTION_STAGES, STAGES
from ..projections.national import NationalCount
from .collect import Band, CouncilHistory, Marker, intervention_words, sentence
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
NOTHING_ON_RECORD = "nothing on record: no source covers this"
INFERRED = "inferred fact (no source states it; its rule on hover)"
FLOOR = "in DfE intervention: at least this many (no instrument on record is not no instrument)"
COVERED = "councils whose DfE record a source covers (their count is exact)"

Legend = dict[str, Artist]
T = TypeVar("T")
# Hover text of the artists that carry one, by figure: written into the SVG as <title> (matplotlib writes none).
_TITLES: weakref.WeakKeyDictionary[Figure, dict[str, str]] = weakref.WeakKeyDictionary()


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
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


def save(figure: Figure, stem: Path) -> tuple[Path, Path]:
    """Write `stem`.svg and `stem`.png; the SVG carries no date, so the same store gives the same file."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    svg, png = stem.with_suffix(".svg"), stem.with_suffix(".png")
    svg.write_text(svg_text(figure), encoding="utf-8")
    figure.savefig(png, format="png", dpi=110)
    return svg, png


def _hover(figure: Figure, artist: Artist, title: str) -> None:
    """Give `artist` a hover text: an SVG id, and the <title> `svg_text` writes inside its group."""
    titles = _TITLES.setdefault(figure, {})
    gid = f"hover-{len(titles)}"
    artist.set_gid(gid)
    titles[gid] = title


# ----------------------------------------------------------------------------------------------------------------
# A council's timeline.


def council_chart(history: CouncilHistory) -> Figure:
    """Bands for grade, instrument, delivery and supervision over one time axis; fired timers and deviations."""
    figure = new_figure(12, 4.8)
    axes = figure.add_subplot()
    legend: Legend = {}
    rows = {row: len(ROWS) - 1 - position for position, row in enumerate(ROWS)}
    span = max((history.until - history.start).days, 1)
    for band in history.bands:
        _draw_band(axes, band, rows[REGION_ROWS[band.region]], span, legend)
    _draw_inspections(axes, history.facts, rows[REGION_ROWS["judgement"]], legend)
    _draw_inferred(figure, axes, history.facts, rows, legend)
    _draw_timers(axes, history.timers, rows[TIMER_ROW], legend)
    _draw_deviations(axes, history.deviations, rows[DEVIATION_ROW], legend)
    axes.set_yticks(list(rows.values()), list(rows))
    axes.set_ylim(-0.6, len(ROWS) - 0.4)
    axes.set_xlim(_any(history.start - dt.timedelta(days=60)), _any(history.until + dt.timedelta(days=60)))
    axes.grid(axis="y", visible=False)
    axes.set_title(f"{history.name} ({history.code}): stage now {label(history.stage)}", loc="left")
    figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=4, fontsize=8)
    return figure


def _draw_band(axes: Axes, band: Band, row: int, span: int, legend: Legend) -> None:
    resting = RESTING_STATES.get(band.region) == band.state
    colour = RESTING_COLOUR if resting else state_colour(band.state)
    width = band.end - band.start
    if not width:
        return  # a state held for no time at all (decided and started on the same day) leaves no band
    if band.nothing_on_record:
        style: dict[str, Any] = {
            "color": NOTHING_ON_RECORD_COLOUR,
            "hatch": NOTHING_ON_RECORD_HATCH,
            "edgecolor": "#9a9a9a",
        }
        axes.barh([row], [_any(width)], left=[_any(band.start)], height=0.7, linewidth=0, **style)
        legend.setdefault(NOTHING_ON_RECORD, Patch(facecolor=NOTHING_ON_RECORD_COLOUR, hatch=NOTHING_ON_RECORD_HATCH,
                                                   edgecolor="#9a9a9a", linewidth=0))  # fmt: skip
        return
    axes.barh([row], [_any(width)], left=[_any(band.start)], height=0.7, color=colour, edgecolor="white")
    if resting:
        legend.setdefault("no instrument / council delivers", Patch(facecolor=colour))
        return
    legend.setdefault(label(band.state), Patch(facecolor=colour))
    text = label(band.state)
    if width.days > span * (0.0068 * len(text) + 0.01):  # the name fits inside the band
        middle = band.start + width / 2
        axes.text(_any(middle), row, text, ha="center", va="center", fontsize=8, color=text_colour(colour))


def _draw_inspections(axes: Axes, facts: Sequence[Marker], row: int, legend: Legend) -> None:
    days = [fact.on for fact in facts if fact.kind == "inspection_published"]
    if days:
        kwargs: dict[str, Any] = {"marker": "v", "color": "#222222", "s": 28, "zorder": 3}
        axes.scatter(_any(days), [row + 0.42] * len(days), **kwargs)
        legend["inspection published"] = Line2D([], [], linestyle="none", marker="v", color="#222222")


def _draw_inferred(figure: Figure, axes: Axes, facts: Sequence[Marker], rows: dict[str, int], legend: Legend) -> None:
    """A hollow diamond above the row of the region an inferred fact moved, its rule in the hover text."""
    style: dict[str, Any] = {"marker": "D", "facecolors": "white", "edgecolors": INFERRED_COLOUR, "s": 34,
                             "linewidths": 1.4, "zorder": 4}  # fmt: skip
    for fact in facts:
        if fact.inferred:
            row = rows[REGION_ROWS.get(fact.region, REGION_ROWS["instrument"])]
            drawn = axes.scatter(_any([fact.on]), [row + 0.42], **style)
            implied = f"; implied by {fact.implied_by}" if fact.implied_by else ""
            _hover(figure, drawn, f"{fact.on.isoformat()} inferred {fact.kind}: {fact.inference}{implied}")
            legend[INFERRED] = Line2D([], [], linestyle="none", marker="D", color=INFERRED_COLOUR, fillstyle="none")


def _draw_timers(axes: Axes, timers: Sequence[Marker], row: int, legend: Legend) -> None:
    for kind in dict.fromkeys(timer.kind for timer in timers):
        colour, marker = timer_style(kind)
        days = [timer.on for timer in timers if timer.kind == kind]
        axes.scatter(_any(days), [row] * len(days), marker=marker, color=colour, s=36, zorder=3)
        legend[f"timer: {label(kind)}"] = Line2D([], [], linestyle="none", marker=marker, color=colour)


def _draw_deviations(axes: Axes, deviations: Sequence[Marker], row: int, legend: Legend) -> None:
    for number, deviation in enumerate(deviations):
        axes.axvline(_any(deviation.on), color=DEVIATION_COLOUR, linestyle=":", linewidth=1, zorder=1)
        axes.scatter(_any([deviation.on]), [row], marker="X", color=DEVIATION_COLOUR, s=60, zorder=3)
        offset = 0.28 if number % 2 == 0 else -0.32  # alternate above and below, so neighbours do not collide
        axes.text(_any(deviation.on), row + offset, f" {deviation.kind}", fontsize=7, color=DEVIATION_COLOUR)
    if deviations:
        legend["deviation (rule id)"] = Line2D([], [], linestyle="none", marker="X", color=DEVIATION_COLOUR)


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
