"""Matplotlib charts (Agg backend, no pyplot state): a council's timeline and the national count by stage.

Each function returns a `Figure`; `save` writes it as SVG and PNG. Dates go in as `datetime.date` and the
"concise" date converter labels the axis, so nothing here converts dates by hand.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..policies.rulebook import STAGES
from ..projections.national import NationalCount
from .collect import Band, CouncilHistory, Marker
from .style import (
    DEVIATION_COLOUR,
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
# DfE instruments, services moved out and the year of supervision after: every stage after the grades.
INTERVENTION_STAGES = frozenset(STAGES[STAGES.index("improvement_notice") :])

Legend = dict[str, Artist]
T = TypeVar("T")


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def svg_text(figure: Figure, _name: str = "") -> str:
    """The figure as SVG text, drawn in memory (no date in it, as in `save`)."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def save(figure: Figure, stem: Path) -> tuple[Path, Path]:
    """Write `stem`.svg and `stem`.png; the SVG carries no date, so the same store gives the same file."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    svg, png = stem.with_suffix(".svg"), stem.with_suffix(".png")
    figure.savefig(svg, format="svg", metadata={"Date": None})
    figure.savefig(png, format="png", dpi=110)
    return svg, png


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
    _draw_timers(axes, history.timers, rows[TIMER_ROW], legend)
    _draw_deviations(axes, history.deviations, rows[DEVIATION_ROW], legend)
    axes.set_yticks(list(rows.values()), list(rows))
    axes.set_ylim(-0.6, len(ROWS) - 0.4)
    axes.set_xlim(_any(history.start - dt.timedelta(days=60)), _any(history.until + dt.timedelta(days=60)))
    axes.grid(axis="y", visible=False)
    axes.set_title(f"{history.name} ({history.code}): stage now {label(history.stage)}", loc="left")
    figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=5, fontsize=8)
    return figure


def _draw_band(axes: Axes, band: Band, row: int, span: int, legend: Legend) -> None:
    resting = RESTING_STATES.get(band.region) == band.state
    colour = RESTING_COLOUR if resting else state_colour(band.state)
    width = band.end - band.start
    if not width:
        return  # a state held for no time at all (decided and started on the same day) leaves no band
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
    """Councils by stage over time: every stage stacked, and below it the stages of intervention on their own."""
    figure = new_figure(12, 7.5)
    everything, intervention = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    days = [count.on for count in counts]
    stages = _stages(counts)
    _stack(everything, days, counts, stages)
    _stack(intervention, days, counts, [stage for stage in stages if stage in INTERVENTION_STAGES])
    first, last = (days[0], days[-1]) if days else (dt.date(2014, 1, 1), dt.date(2014, 1, 1))
    everything.set_title(f"Councils by stage, monthly, {first:%B %Y} to {last:%-d %B %Y}", loc="left")
    intervention.set_title("Councils in DfE intervention or returned from it", loc="left", fontsize=10)
    everything.set_ylabel("councils")
    intervention.set_ylabel("councils")
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
