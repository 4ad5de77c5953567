"""Tidy tables written as CSV (for Excel) or Parquet (for pandas, Power BI, R), in chunks, so a large table streams.

CSV: UTF-8 with a byte-order mark (Excel then reads accents right), a header row, dates as `YYYY-MM-DD` and times
as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), which Excel and pandas read as dates; booleans `TRUE`/`FALSE`; an empty
field for a missing value. Parquet: the column types of the data dictionary (date32, timestamp in microseconds
UTC, int64, float64, bool, string), one row group per chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ...errors import InterventionError
from .columns import ColumnType, TableSpec

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
CHUNK_ROWS = 5000


class InvalidExport(InterventionError, ValueError):
    """An export that cannot be made as asked: an unknown table or format, an output path that cannot be written."""


@dataclass(frozen=True)
class ExportTable:
    """A table to export: its columns and its rows (tuples in column order)."""

    spec: TableSpec
    rows: Iterable[tuple[Any, ...]]


def batched(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The rows, `size` at a time (itertools.batched is Python 3.12's)."""
    found = iter(rows)
    while batch := list(islice(found, size)):
        yield batch


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise InvalidExport(f"unknown format {name!r}; formats: {', '.join(FORMATS)}")
    return name


def chunks(table: ExportTable, format: str) -> Iterator[bytes]:
    """The table in `format`, a chunk of bytes at a time."""
    return _csv_chunks(table) if check_format(format) == "csv" else _parquet_chunks(table)


def write_export(table: ExportTable, format: str, out: Path) -> int:
    """Write the table to `out` (through a temporary file beside it, so a failure leaves nothing); rows written."""
    check_format(format)
    if not out.parent.is_dir():
        raise InvalidExport(f"cannot write {out}: no folder {out.parent}; create it first or choose another --out")
    if out.is_dir():
        raise InvalidExport(f"cannot write {out}: it is a folder; give a file name")
    partial = out.with_name(f".{out.name}.partial")
    written = 0

    def counted() -> Iterator[tuple[Any, ...]]:
        nonlocal written
        for row in table.rows:
            written += 1
            yield row

    try:
        with partial.open("wb") as handle:
            for chunk in chunks(ExportTable(table.spec, counted()), format):
                handle.write(chunk)
        os.replace(partial, out)
    except OSError as error:
        raise InvalidExport(f"cannot write {out}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return written


# ----------------------------------------------------------------------------------------------------------------
# CSV.


def _csv_chunks(table: ExportTable) -> Iterator[bytes]:
    kinds = [column.type for column in table.spec.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.spec.names)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    for rows in batched(table.rows, CHUNK_ROWS):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_value(kind, value) for kind, value in zip(kinds, row, strict=True)] for row in rows)
        yield buffer.getvalue().encode()


def _csv_value(kind: ColumnType, value: Any) -> Any:
    if value is None:
        return ""
    if kind == "timestamp":
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind == "date":
        return value.isoformat()
    if kind == "boolean":
        return "TRUE" if value else "FALSE"
    return value


# ----------------------------------------------------------------------------------------------------------------
# Parquet.


_ARROW = {
    "date": "date32",
    "timestamp": "timestamp",
    "string": "string",
    "integer": "int64",
    "float": "float64",
    "boolean": "bool_",
}


def arrow_schema(spec: TableSpec) -> Any:
    import pyarrow as pa  # imported when a Parquet export is made, not with the package

    def arrow_type(kind: ColumnType) -> Any:
        return pa.timestamp("us", tz="UTC") if kind == "timestamp" else getattr(pa, _ARROW[kind])()

    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in spec.columns])


class _Drain(io.RawIOBase):
    """A write-only file that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken, self.parts = b"".join(self.parts), []
        return taken


def _parquet_chunks(table: ExportTable) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(table.spec)
    sink = _Drain()
    with pq.ParquetWriter(sink, schema) as writer:
        for rows in batched(table.rows, CHUNK_ROWS):
            columns = list(zip(*rows, strict=True))
            writer.write_table(
                pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)
            )
            yield sink.take()
    yield sink.take()
