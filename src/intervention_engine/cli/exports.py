"""`export`: the store's tables (and simulated ones) as tidy CSV or Parquet files; `national --by region`'s tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..clock import SystemClock
from .app import BadArgument, DbOption, app, open_engine, parse_day, reporting, required_day
from .tables import national_table
from .whatif import WorkersOption

if TYPE_CHECKING:  # the tables, pyarrow and the simulation are imported by the commands that use them: quick --help
    from ..projections.exports import ExportTable
    from ..projections.national import NationalCount

# The tables and formats `export` offers, as projections.exports names them (a test keeps the two the same).
TABLE_NAMES = (
    "facts", "events", "states", "timers", "expectations", "deviations", "national", "simulation",
    "simulation_councils", "backtest",
)  # fmt: skip
FORMAT_NAMES = ("csv", "parquet")


class By(StrEnum):
    region = "region"


ByOption = Annotated[By | None, typer.Option("--by", help="one count per region (and date)")]


def national_tables(counts: Sequence[NationalCount]) -> list[Table | str]:
    """Councils by stage: for England, one column per date; by region (`national --by region`), one table per
    date with a row per region: councils, judged inadequate, in DfE intervention (a floor where the DfE record is
    not covered), services out of the council's hands, and for how many the DfE record is covered. Every stage of
    every region is in `--json` and `export national`."""
    from ..policies.rulebook import OUT_OF_COUNCIL_STAGES

    if all(count.region is None for count in counts):
        return [national_table(counts)]
    tables: list[Table | str] = []
    for day in sorted({count.on for count in counts}):
        table = Table(title=f"Councils by region on {day.isoformat()}", title_justify="left")
        table.add_column("region", overflow="fold")
        for head in ("councils", "inadequate", "in DfE intervention", "trust or partner", "DfE record covered"):
            table.add_column(head, justify="right")
        for count in (count for count in counts if count.on == day):
            floor = ("≥ " if not count.complete else "") + str(count.in_intervention)
            away = sum(count.stages.get(stage, 0) for stage in OUT_OF_COUNCIL_STAGES)
            table.add_row(str(count.region), str(count.councils), str(count.stages.get("inadequate", 0)), floor,
                          str(away), str(count.dfe_record_covered))  # fmt: skip
        tables.append(table)
    return [*tables, "Every stage of every region: --json, or `intervention-engine export national`."]


@app.command()
def export(
    table: Annotated[str, typer.Argument(help=f"the table: {', '.join(TABLE_NAMES)}", show_default=False)],
    format: Annotated[str, typer.Option("--format", help=f"{' or '.join(FORMAT_NAMES)}")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="the file to write (default: standard output)")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="states: the last month, YYYY-MM-DD (default today)")
    ] = None,
    on: Annotated[list[str] | None, typer.Option("--on", help="national: a date, YYYY-MM-DD (repeatable)")] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option(
            "--councils",
            dir_okay=False,
            help="council identity table, for ONS codes and regions (store tables, simulation_councils)",
        ),
    ] = None,
    ofsted_csv: Annotated[
        Path | None,
        typer.Option("--ofsted-csv", dir_okay=False, help="simulation, backtest: the national Ofsted CSV"),
    ] = None,
    dfe_register: Annotated[
        Path | None,
        typer.Option(
            "--dfe-register",
            dir_okay=False,
            help="simulation(_councils), backtest: the DfE register, read with the CSV",
        ),
    ] = None,
    from_dates: Annotated[
        list[str] | None,
        typer.Option(
            "--from",
            help="simulation(_councils): from the real state on this day (default 2018-01-01); backtest: an origin "
            "(repeatable; default 2018-01-01, 2019-01-01 and 2020-01-01)",
        ),
    ] = None,
    to_date: Annotated[str, typer.Option("--to", help="backtest: to the end of this day")] = "2024-12-31",
    years: Annotated[int, typer.Option("--years", min=1, help="simulation(_councils): years to project")] = 10,
    runs: Annotated[int, typer.Option("--runs", min=1, help="simulation(_councils), backtest: Monte Carlo runs")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="simulation(_councils), backtest: master seed")] = 0,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", help="simulation(_councils): a DfE regime as a variant (repeatable; default: in force)"
        ),
    ] = None,
    workers: WorkersOption = None,
    db: DbOption = None,
) -> None:
    """Write a table in long format (one row per observation) as CSV or Parquet; columns in docs/exports.md."""
    from ..projections.exports import STORE_TABLES, InvalidExport
    from ..projections.exports.formats import check_format
    from ..projections.exports.tables import check_table
    from ..simulation import RealRecord
    from ..simulation.montecarlo import executor_for
    from ..simulation.simulated import SimulatedExport, simulated_table

    with reporting(False):
        check_table(table)
        check_format(format)
        if out is not None and not out.parent.is_dir():
            raise InvalidExport(f"cannot write {out}: no folder {out.parent}; create it first or choose another --out")
        if table in STORE_TABLES:
            last = parse_day(until, "--until")
            days = [day for text in on or () if (day := parse_day(text, "--on")) is not None]
            with open_engine(db, SystemClock(), existing=True) as engine:
                found = engine.export(table, until=last, days=days or None, councils_csv=councils_csv)
        else:
            if ofsted_csv is None:
                raise BadArgument(f"table {table!r} is simulated from the record: give --ofsted-csv FILE")
            asked = SimulatedExport(
                origins=[required_day(day, "--from") for day in from_dates or ()],
                to_date=required_day(to_date, "--to"), years=years, runs=runs, seed=seed, policies=policy or [None],
            )  # fmt: skip
            record = RealRecord.load(ofsted_csv, register=dfe_register)
            with executor_for(workers) as pool:
                found = simulated_table(table, record, asked, pool, councils_csv, option="--")
                _write(found, format, out)  # the per-council rows are played while they are written
                return
        _write(found, format, out)


def _write(found: ExportTable, format: str, out: Path | None) -> None:
    from ..projections.exports import InvalidExport, chunks, write_export

    if out is not None:
        rows = write_export(found, format, out)
        typer.echo(f"{found.spec.name}: {rows} rows written to {out}", err=True)
        return
    if format == "parquet" and sys.stdout.isatty():
        raise InvalidExport("Parquet is binary: give --out FILE, or pipe standard output to a file")
    for chunk in chunks(found, format):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
