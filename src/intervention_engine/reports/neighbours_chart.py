"""A council's trajectory beside its statistical neighbours as one chart: a row per council (the council on top,
then its neighbours, most alike first), its stage as coloured bands over time, a line on the day compared.

Where a council's instrument and delivery are in their default state and no source covers its DfE record, the band
is hatched: nothing on record there, not "no instrument" (DESIGN decision 12). One legend, under the chart.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..history.neighbours import Neighbour, NeighbourView
from ..policies.rulebook import STAGES
from .charts import new_figure
from .style import NOTHING_ON_RECORD_COLOUR, NOTHING_ON_RECORD_HATCH, RC_PARAMS, label, state_colour

SILENT = "hatched: nothing on record for the DfE instrument and delivery (no source covers them)"


def neighbours_chart(view: NeighbourView) -> Figure:
    rows = (view.council, *view.neighbours)
    figure = new_figure(12, 0.42 * len(rows) + 1.6)
    axes = figure.add_subplot()
    graded = [step.since for row in rows for step in row.trajectory if step.stage != "not_inspected"]
    first = min(graded, default=view.on) - dt.timedelta(days=365)  # a year before the first inspection of any
    seen: dict[str, None] = {}
    silent = False
    for place, row in enumerate(rows):
        y = len(rows) - 1 - place
        for start, end, stage, hatched in _bands(row, view.on):
            style: dict[str, Any] = {"hatch": NOTHING_ON_RECORD_HATCH, "edgecolor": "white"} if hatched else {}
            axes.barh([y], [end - start], left=[start], height=0.72, color=state_colour(stage), linewidth=0, **style)  # type: ignore[arg-type]
            seen[stage] = None
            silent |= hatched
    axes.axvline(view.on, color="#111111", linewidth=1, linestyle="--")  # type: ignore[arg-type]
    names = [f"{row.name} ({row.code})" if row.rank == 0 else f"{row.rank}. {row.name}" for row in rows]
    axes.set_yticks(range(len(rows) - 1, -1, -1), names)
    axes.get_yticklabels()[0].set_fontweight("bold")
    axes.set_xlim(first - dt.timedelta(days=60), view.on + dt.timedelta(days=60))  # type: ignore[arg-type]
    axes.grid(axis="y", visible=False)
    axes.set_title(f"{view.council.name} and its statistical neighbours: stage over time, to {view.on:%-d %B %Y}",
                   loc="left")  # fmt: skip
    handles = [Patch(facecolor=state_colour(stage)) for stage in STAGES if stage in seen]
    labels = [label(stage) for stage in STAGES if stage in seen]
    if silent:
        handles.append(Patch(facecolor=NOTHING_ON_RECORD_COLOUR, hatch=NOTHING_ON_RECORD_HATCH, edgecolor="white"))
        labels.append(SILENT)
    figure.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8)
    return figure


def write_neighbours_chart(view: NeighbourView, path: Path) -> None:
    """Draw the chart to `path`, in the format its suffix names."""
    with matplotlib.rc_context(RC_PARAMS):
        neighbours_chart(view).savefig(path, metadata=None if path.suffix.lower() == ".png" else {"Date": None})


def _bands(row: Neighbour, until: dt.date) -> list[tuple[dt.date, dt.date, str, bool]]:
    steps = row.trajectory
    return [
        (step.since, steps[number + 1].since if number + 1 < len(steps) else until, step.stage,
         step.dfe_record == "nothing_on_record")
        for number, step in enumerate(steps)
    ]  # fmt: skip
