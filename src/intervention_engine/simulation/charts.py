"""Charts of simulations (matplotlib's Agg backend, no pyplot state): two timelines on one axis, and fan charts.

`save_figure` writes PNG or SVG by the path's suffix; the SVG carries no date, so the same input gives the same file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..policies.rulebook import INTERVENTION_STAGES, STAGES
from ..reports.charts import new_figure
from .backtest import QUANTITIES, Backtest
from .compare import Comparison
from .montecarlo import OUT_OF_COUNCIL, Projection

# What a policy team reads first: how many councils the DfE intervenes in, with which instrument, and how many have
# services out of council control. (Grades are left out: from April 2026 reports carry none, ILACS-01.)
FAN_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("In intervention: notice, direction, commissioner, trust or partner", tuple(sorted(INTERVENTION_STAGES))),
    ("Improvement notice", ("improvement_notice",)),
    ("Statutory direction (with or without a commissioner)", ("statutory_direction", "commissioner_review")),
    ("Services in a trust or with a partner council", OUT_OF_COUNCIL),
)


def save_figure(figure: Figure, path: Path) -> Path:
    """Write the figure as PNG or SVG, by the suffix of `path`."""
    if path.suffix not in (".png", ".svg"):
        raise ValueError(f"{path}: a chart is written as .png or .svg")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format=path.suffix[1:], dpi=110, metadata={"Date": None} if path.suffix == ".svg" else None)
    return path


def timelines_chart(comparison: Comparison) -> Figure:
    """The two sides' stages over the same time axis, as steps (the baseline solid, the branch dashed)."""
    figure = new_figure(11, 4.5)
    axes = figure.add_subplot()
    used = sorted({stage for side in comparison.sides for stage in side.stages if stage in STAGES}, key=STAGES.index)
    position = {stage: index for index, stage in enumerate(used)}
    for side, style, offset in zip(comparison.sides, ("-", "--"), (0.0, 0.08), strict=True):
        steps = [*side.changes, (comparison.until.isoformat(), side.changes[-1][1])]
        dates: Any = [dt.date.fromisoformat(on) for on, _ in steps]  # matplotlib converts dates itself
        values = [position.get(stage, -1) + offset for _, stage in steps]
        axes.step(dates, values, where="post", linestyle=style, linewidth=2.2, label=side.label)
    axes.set_yticks(range(len(used)), [stage.replace("_", " ") for stage in used])
    axes.set_ylim(-0.6, len(used) - 0.4)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(f"{comparison.name} ({comparison.council}): {comparison.sides[0].label} and "
                   f"{comparison.sides[1].label}, {comparison.start} to {comparison.until}")  # fmt: skip
    axes.legend(loc="upper left")
    return figure


def fan_chart(projection: Projection, panels: Sequence[tuple[str, tuple[str, ...]]] = FAN_PANELS) -> Figure:
    """Councils in each group of stages by month: the median, the 50% band and the 90% band over the runs."""
    columns = 2
    rows = (len(panels) + columns - 1) // columns
    figure = new_figure(12, 3.2 * rows)
    axes_grid = figure.subplots(rows, columns, sharex=True, squeeze=False)
    dates: Any = projection.dates
    for axes, (title, stages) in zip(axes_grid.flat, panels, strict=False):
        fan = projection.fan(*stages)
        axes.fill_between(dates, fan[5], fan[95], alpha=0.2, color="#1f5fa8", label="90% of runs")
        axes.fill_between(dates, fan[25], fan[75], alpha=0.4, color="#1f5fa8", label="50% of runs")
        axes.plot(dates, fan[50], color="#0b3d75", linewidth=1.8, label="median")
        axes.set_title(title, fontsize=10)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
    for axes in list(axes_grid.flat)[len(panels) :]:
        axes.set_visible(False)
    axes_grid.flat[0].legend(loc="upper right", fontsize=8)
    policy = projection.policy or "policies in force"
    figure.suptitle(f"Councils by stage, {projection.runs} runs from {projection.from_date} ({policy}), "
                    f"seed {projection.seed}")  # fmt: skip
    return figure


def backtest_chart(result: Backtest) -> Figure:
    """One panel per readout: the record's count on 31 March (points; hollow where the DfE record does not cover every
    council) and, per origin, the simulated median with its 90% band."""
    figure = new_figure(12, 7)
    axes_grid = figure.subplots(2, 2, sharex=True, squeeze=False)
    colours = ("#1f5fa8", "#c0392b", "#27803b", "#8e44ad")
    for axes, quantity in zip(axes_grid.flat, QUANTITIES, strict=True):
        rows = [f for f in result.forecasts if f.quantity == quantity]
        for origin, colour in zip(result.origins, colours, strict=False):
            mine = [f for f in rows if f.origin == origin]
            years = [f.year for f in mine]
            axes.fill_between(years, [f.scored.p5 for f in mine], [f.scored.p95 for f in mine], alpha=0.15,
                              color=colour)  # fmt: skip
            axes.plot(years, [f.scored.p50 for f in mine], color=colour, linewidth=1.5, label=f"from {origin}")
        record = {f.year: f for f in rows}
        years = sorted(record)
        axes.scatter(years, [record[y].scored.actual for y in years], color="black", zorder=3, label="record",
                     facecolors=["black" if record[y].record.complete else "none" for y in years])  # fmt: skip
        axes.set_title(quantity.replace("_", " ") + " on 31 March", fontsize=10)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
    axes_grid.flat[0].legend(loc="upper right", fontsize=8)
    figure.suptitle(f"Backtest: median and 90% band of {result.runs} runs per origin against the record "
                    "(hollow: the DfE record not covering every council)")  # fmt: skip
    return figure
