"""Councils in DfE intervention on 31 March of each year, counted straight from the DfE register's rows, beside the
engine's counts (the register replayed alone, and the whole record of a store).

The register's reading here is deliberately plain and independent of the importer: a council is in intervention on
a day when, among its children's social care rows dated on or before it (a partial date read as the first day of
its month or year, rows in the file's order), an instrument is open (a notice issued and not lifted; a direction
issued, revised, or implied by a commissioner's appointment or report, and not revoked; a notice issued while a
direction is open changes nothing, a direction replaces a notice) or services are out of the council's hands (a
decision or a go-live, not ended). Rows of other service areas are not moves (they are notes in the engine).

    python -m intervention_engine.reports.register_counts ../shared/data/dfe_interventions.csv --db demo.sqlite

prints the table the README shows (year, register count, engine count on the register alone, and the "at least"
count of the store `--db` holds, every source replayed).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..engine import InterventionEngine

CHILDREN_SOCIAL_CARE = "children_social_care"
_DIRECTION = ("statutory_direction_issued", "statutory_direction_revised", "commissioner_appointed",
              "commissioner_reported")  # fmt: skip
_OUT = ("alternative_delivery_decided", "alternative_delivery_live")
FIRST_YEAR, LAST_YEAR = 2009, 2026


def year_end(year: int) -> dt.date:
    """31 March: the end of the financial year, the day the DfE's own counts are taken on."""
    return dt.date(year, 3, 31)


def register_counts(path: Path, years: Iterable[int]) -> dict[int, int]:
    """For each year, the councils with a notice, direction or alternative delivery open on 31 March, from the
    register's rows alone."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row["service_area"].strip() == CHILDREN_SOCIAL_CARE]
    councils: dict[str, list[tuple[dt.date, str]]] = {}
    for row in rows:
        key = row["la_code"].strip() or row["council"].strip()
        councils.setdefault(key, []).append((_first_day(row["occurred_on"].strip()), row["fact"].strip()))
    for facts in councils.values():  # a direction revoked before the notice that replaces it the same day (Hull 2022)
        facts.sort(key=lambda item: (item[0], item[1] != "statutory_direction_revoked"))
    return {year: sum(_in_intervention(facts, year_end(year)) for facts in councils.values()) for year in years}


def engine_counts(engine: InterventionEngine, years: Sequence[int]) -> dict[int, tuple[int, bool]]:
    """For each year, the engine's count of councils in intervention on 31 March and whether it is a floor."""
    counts = engine.national([year_end(year) for year in years])
    return {count.on.year: (count.in_intervention, not count.complete) for count in counts}


def _first_day(text: str) -> dt.date:
    """The first day a register date can mean: `2017-09` is 1 September 2017, `2024` is 1 January 2024."""
    year, month, day = (int(part) for part in [*text.split("-"), "1", "1"][:3])
    return dt.date(year, month, day)


def _in_intervention(facts: Sequence[tuple[dt.date, str]], on: dt.date) -> bool:
    instrument, out = "none", False
    for day, fact in facts:
        if day > on:
            continue
        if fact == "improvement_notice_issued" and instrument == "none":
            instrument = "notice"
        elif fact == "improvement_notice_lifted" and instrument == "notice":
            instrument = "none"
        elif fact in _DIRECTION:
            instrument = "direction"
        elif fact == "statutory_direction_revoked":
            instrument = "none"
        elif fact in _OUT:
            out = True
        elif fact == "alternative_delivery_ended":
            out = False
    return instrument != "none" or out


def register_alone(path: Path, years: Sequence[int], engine: InterventionEngine) -> dict[int, tuple[int, bool]]:
    """The register replayed alone into `engine` (an empty sandbox), counted as the engine counts."""
    from ..history.national import replay_record
    from ..history.register import read_register

    replay_record(engine, register=read_register(path), until=year_end(max(years)))
    return engine_counts(engine, years)


def table(register: dict[int, int], alone: dict[int, tuple[int, bool]], every: dict[int, tuple[int, bool]]) -> str:
    """The README's table: one line a year, the register's count beside the engine's."""
    lines = [
        "| 31 March | register's rows | engine, register alone | engine, every source |",
        "|---|---|---|---|",
    ]
    for year, count in register.items():
        whole = every.get(year)
        everything = f"at least {whole[0]}" if whole and whole[1] else str(whole[0]) if whole else "-"
        lines.append(f"| {year} | {count} | {alone[year][0]} | {everything} |")
    return "\n".join(lines)
