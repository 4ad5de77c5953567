"""`intervention-engine neighbours`: a council beside its ten statistical neighbours (`history.neighbours`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..clock import SystemClock
from .app import BadArgument, DbOption, JsonOption, app, emit, open_engine, parse_day, reporting

if TYPE_CHECKING:  # the engine's modules are imported by the command that uses them: a quick --help
    from ..history.neighbours import CouncilTable, Neighbour, NeighbourView

DEFAULT_COUNCILS_CSV = Path("../shared/data/councils.csv")
CHART_FORMATS = (".svg", ".png", ".pdf")
SILENT = "*"
SILENT_NOTE = "* nothing on record: no source covers this part of the council's record (not the same as none)"


def council_table(path: Path | None, *, required: bool = False) -> CouncilTable | None:
    """The council identity table at `path`; without one, the default path if it is there (None if not, or an
    error if `required`)."""
    if path is None and not DEFAULT_COUNCILS_CSV.is_file():
        if required:
            raise BadArgument(f"no council identity table at {DEFAULT_COUNCILS_CSV}: name councils.csv with --councils")
        return None
    from ..history.neighbours import read_council_table

    return read_council_table(path or DEFAULT_COUNCILS_CSV)


@app.command()
def neighbours(
    council: Annotated[str, typer.Argument(help="council code or name")],
    on: Annotated[str | None, typer.Option("--on", help="the day to compare, YYYY-MM-DD (default today)")] = None,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", dir_okay=False, help="also draw the trajectories to this file (.svg, .png or .pdf)"),
    ] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option("--councils", dir_okay=False, help=f"council identity table (default: {DEFAULT_COUNCILS_CSV})"),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The council's trajectory (grade, instrument, delivery over time) beside its ten statistical neighbours (as
    councils.csv lists them), each one's state on a day saying, region by region, whether it is on record."""
    from ..history.neighbours import neighbours_of

    with reporting(as_json):
        day = parse_day(on, "--on") or SystemClock().today()
        if chart is not None:
            _check_chart_path(chart)
        table = council_table(councils_csv, required=True)
        assert table is not None  # required
        with open_engine(db, SystemClock(), existing=True) as engine:
            view = neighbours_of(engine, council, table, day)
        if chart is not None:
            from ..reports.neighbours_chart import write_neighbours_chart

            write_neighbours_chart(view, chart)
        emit(as_json, view.to_dict(), lambda: _tables(view, chart))


def _check_chart_path(chart: Path) -> None:
    if chart.suffix.lower() not in CHART_FORMATS:
        raise BadArgument(f"--chart {chart}: the file name must end in {', '.join(CHART_FORMATS)}")
    if not chart.parent.is_dir():
        raise BadArgument(f"--chart {chart}: folder {chart.parent} does not exist")


def _tables(view: NeighbourView, chart: Path | None) -> list[object]:
    own = view.council
    states = Table(title=f"{own.name} ({own.code}) and its statistical neighbours on {view.on.isoformat()}")
    for column in ("#", "council", "region", "stage", "grade", "instrument", "delivery"):
        states.add_column(column)
    for row in (own, *view.neighbours):
        states.add_row(str(row.rank or ""), f"{row.name} ({row.code})", row.region, *_state_cells(row))
    path = Table(title=f"{own.name}'s trajectory up to {view.on.isoformat()}")
    for column in ("since", "stage", "grade", "instrument", "delivery", "DfE record"):
        path.add_column(column)
    for step in own.trajectory:
        path.add_row(step.since.isoformat(), *(_words(value) for value in (step.stage, step.grade, step.instrument,
                     step.delivery, step.dfe_record)))  # fmt: skip
    notes = [] if view.neighbours else [f"the council identity table lists no statistical neighbours for {own.name}"]
    silent = any(SILENT in cell for row in (own, *view.neighbours) for cell in _state_cells(row))
    return [states, *([SILENT_NOTE] if silent else []), path, *notes, *([f"Chart written to {chart}"] if chart else [])]


def _state_cells(row: Neighbour) -> list[str]:
    from ..policies.rulebook import REGIONS

    state = row.state
    if not state.registered:
        return ["not in store", "-", "-", "-"]
    cells = [_words(state.stage or "")]
    for region in ("judgement", "instrument", "delivery"):
        value = state.states.get(region, REGIONS[region]["initial"])
        silent = state.record.get(region, "nothing_on_record") == "nothing_on_record"
        cells.append(_words(value) + (SILENT if silent else ""))
    return cells


def _words(name: str) -> str:
    return name.replace("_", " ")
