"""`export`: the store's tables (and simulated ones) as tidy CSV or Parquet files; `national --by region`'s tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..clock import SystemClock
from ..projections.exports import FORMATS, TABLES, ExportTable, InvalidExport, chunks, write_export
from ..projections.exports.formats import check_format
from ..projections.exports.tables import check_table
from ..projections.national import NationalCount
from .app import DbOption, app, open_engine, parse_day, reporting
from .tables import national_table


class By(StrEnum):
    region = "region"


ByOption = Annotated[By | None, typer.Option("--by", help="one count per region (and date)")]


def national_tables(counts: Sequence[NationalCount]) -> list[Table]:
    """One table of councils by stage for England, or one per region (`national --by region`)."""
    regions = list(dict.fromkeys(count.region for count in counts))
    tables = []
    for region in regions:
        table = national_table([count for count in counts if count.region == region])
        if region is not None:
            table.title = f"{region}: {table.title}"
        tables.append(table)
    return tables


@app.command()
def export(
    table: Annotated[str, typer.Argument(help=f"the table: {', '.join(TABLES)}", show_default=False)],
    format: Annotated[str, typer.Option("--format", help=f"{' or '.join(FORMATS)}")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="the file to write (default: standard output)")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="states: the last month, YYYY-MM-DD (default today)")
    ] = None,
    on: Annotated[list[str] | None, typer.Option("--on", help="national: a date, YYYY-MM-DD (repeatable)")] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option("--councils", dir_okay=False, help="council identity table, for ONS codes and regions"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write a table in long format (one row per observation) as CSV or Parquet; columns in docs/exports.md."""
    with reporting(False):
        check_table(table)
        check_format(format)
        last = parse_day(until, "--until")
        days = [day for text in on or () if (day := parse_day(text, "--on")) is not None]
        if out is not None and not out.parent.is_dir():
            raise InvalidExport(f"cannot write {out}: no folder {out.parent}; create it first or choose another --out")
        with open_engine(db, SystemClock(), existing=True) as engine:
            found = engine.export(table, until=last, days=days or None, councils_csv=councils_csv)
        _write(found, format, out)


def _write(found: ExportTable, format: str, out: Path | None) -> None:
    if out is not None:
        rows = write_export(found, format, out)
        typer.echo(f"{found.spec.name}: {rows} rows written to {out}", err=True)
        return
    if format == "parquet" and sys.stdout.isatty():
        raise InvalidExport("Parquet is binary: give --out FILE, or pipe standard output to a file")
    for chunk in chunks(found, format):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
