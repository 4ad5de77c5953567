"""Statistical neighbours: a council's trajectory beside the ten councils the DfE lists as most like it.

The council identity table (`councils.csv`) lists each council's ten statistical neighbours (`stat_neighbours`, DfE
3-digit codes, most alike first) and its region (`region_name`). `neighbours_of` reads the engine for the council and
each neighbour: its state on a date, and its trajectory (grade, instrument, delivery and stage each time they
changed). A state says, region by region, whether it is on record or nothing on record (DESIGN decision 12): a
neighbour in "no instrument" where no source covers its DfE record may have held one that no source recorded.

A neighbour the store does not hold (or not yet on the date) is listed all the same, as not registered.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aggregates.coverage import coverage_span, covered, initial_coverage
from ..engine import InterventionEngine, TimelineEntry
from ..errors import CouncilNotFound, InvalidImport
from ..facts import parse_fact
from ..policies.rulebook import derive_stage
from ..projections.identity import read_identity_rows
from ..projections.status import record_of

TRAJECTORY_REGIONS = ("judgement", "instrument", "delivery")  # grade, instrument, delivery: what neighbours compare
DFE_REGIONS = ("instrument", "delivery")  # the DfE's part of the record, often silent (dfe_interventions.csv)
_COLUMNS = ("la_code", "local_authority_ons_name", "stat_neighbours")


@dataclass(frozen=True)
class CouncilRow:
    """One council of the identity table: codes, name, region, and its statistical neighbours' DfE codes."""

    code: str
    name: str
    ons_code: str
    region: str
    neighbours: tuple[str, ...]


@dataclass(frozen=True)
class CouncilTable:
    """The council identity table by DfE code, read from `path`."""

    path: Path
    rows: Mapping[str, CouncilRow]

    def row(self, code: str) -> CouncilRow:
        found = self.rows.get(code)
        if found is None:
            raise InvalidImport(f"council {code!r} is not in the council identity table {self.path}")
        return found

    def region(self, code: str) -> str | None:
        found = self.rows.get(code)
        return found.region if found is not None and found.region else None


def read_council_table(path: Path) -> CouncilTable:
    """Read `councils.csv` (`projections.identity.read_identity_rows`); a missing file, a missing column or a
    neighbour that is not in the table is refused naming the file (and the line)."""
    lines = read_identity_rows(path, _COLUMNS)
    rows = {
        row["la_code"].strip(): CouncilRow(
            code=row["la_code"].strip(),
            name=row["local_authority_ons_name"].strip(),
            ons_code=(row.get("la_code_new") or "").strip(),
            region=(row.get("region_name") or "").strip(),
            neighbours=tuple(code.strip() for code in row["stat_neighbours"].split(",") if code.strip()),
        )
        for _, row in lines
    }
    for line, row in lines:
        unknown = [code for code in rows[row["la_code"].strip()].neighbours if code not in rows]
        if unknown:
            raise InvalidImport(f"{path}, line {line}, column stat_neighbours: {', '.join(unknown)} not in the table")
    return CouncilTable(path, rows)


@dataclass(frozen=True)
class Position:
    """Where a council stood from `since`: its stage, grade, instrument and delivery. `dfe_record` says whether its
    instrument and delivery are known there: `covered` (a source keeps its whole DfE record on those days),
    `on_record` (a fact on record set one of them, even back to its default state) or `nothing_on_record`, by the
    rule of the council's state (`projections.status.record_of`)."""

    since: dt.date
    stage: str
    grade: str
    instrument: str
    delivery: str
    dfe_record: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "stage": self.stage, "grade": self.grade,
            "instrument": self.instrument, "delivery": self.delivery, "dfe_record": self.dfe_record,
        }  # fmt: skip


@dataclass(frozen=True)
class CouncilState:
    """A council's state at the end of a day, each region with whether it is on record (`covered` or `on_record`)
    or `nothing_on_record`; `registered` is False (and the rest empty) if the store does not hold it on that day."""

    code: str
    name: str
    region: str
    registered: bool
    stage: str | None = None
    states: Mapping[str, str] = field(default_factory=dict)
    record: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        regions = {
            region: {"state": self.states[region], "record": self.record.get(region, "nothing_on_record"),
                     "on_record": self.record.get(region) in ("covered", "on_record")}
            for region in TRAJECTORY_REGIONS if region in self.states
        }  # fmt: skip
        return {"stage": self.stage, **regions} if self.registered else {"stage": None, "registered": False}


@dataclass(frozen=True)
class Neighbour:
    """A council (rank 0) or one of its statistical neighbours (rank 1 = most alike), on a day and over time."""

    rank: int
    code: str
    name: str
    region: str
    state: CouncilState
    trajectory: tuple[Position, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "code": self.code, "name": self.name, "region": self.region,
            "registered": self.state.registered, "state": self.state.to_dict(),
            "trajectory": [position.to_dict() for position in self.trajectory],
        }  # fmt: skip


@dataclass(frozen=True)
class NeighbourView:
    """A council beside its statistical neighbours on `on`."""

    on: dt.date
    council: Neighbour
    neighbours: tuple[Neighbour, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "council": self.council.to_dict(),
            "neighbours": [neighbour.to_dict() for neighbour in self.neighbours],
        }


def neighbours_of(engine: InterventionEngine, council: str, table: CouncilTable, on: dt.date) -> NeighbourView:
    """The council (a code or name the engine resolves) and its statistical neighbours, on `on` and up to it."""
    status = engine.state(council)
    row = table.row(status.council)
    return NeighbourView(
        on,
        _neighbour(engine, 0, row, on),
        tuple(_neighbour(engine, rank, table.row(code), on) for rank, code in enumerate(row.neighbours, start=1)),
    )


def _neighbour(engine: InterventionEngine, rank: int, row: CouncilRow, on: dt.date) -> Neighbour:
    try:
        status = engine.state(row.code, as_of=on)
        entries = engine.timeline(row.code)
    except CouncilNotFound:  # not in the store, or registered after `on`
        return Neighbour(rank, row.code, row.name, row.region, CouncilState(row.code, row.name, row.region, False), ())
    state = CouncilState(status.council, status.name, row.region, True, status.stage, status.states, status.record)
    return Neighbour(rank, row.code, row.name, row.region, state, tuple(trajectory(entries, on)))


def trajectory(entries: Sequence[TimelineEntry], until: dt.date) -> list[Position]:
    """Each change of the council's stage, grade, instrument, delivery or DfE record up to `until`: on the days
    facts moved it, and on the days a source's span began or ended."""
    steps, spans = _steps(entries, until)
    bounds = {dt.date.fromisoformat(str(span["from"])) for span in spans}
    bounds |= {dt.date.fromisoformat(str(span["until"])) + dt.timedelta(days=1) for span in spans if span["until"]}
    days = sorted({day for day, _, _ in steps} | {day for day in bounds if steps and steps[0][0] <= day <= until})
    found: list[Position] = []
    for position in _positions(steps, spans, days):
        if position is not None and (not found or _moved(found[-1], position)):
            found.append(position)
    return found


def positions_on(entries: Sequence[TimelineEntry], days: Sequence[dt.date]) -> list[Position | None]:
    """Where the council stood at the end of each of `days` (None before it was registered)."""
    steps, spans = _steps(entries, max(days, default=dt.date.min))
    return _positions(steps, spans, days)


Steps = list[tuple[dt.date, Mapping[str, str], frozenset[str]]]  # day, states at its end, regions a fact set
Spans = list[dict[str, Any]]


def _steps(entries: Sequence[TimelineEntry], until: dt.date) -> tuple[Steps, Spans]:
    """The states at the end of each day a fact moved them, up to `until`, with the regions a fact on record has
    set by then (as the council keeps them: `recorded_regions`), and what the council's sources cover: the
    registration's span (a complete record from registration on) and every `coverage_declared` fact's."""
    steps: Steps = []
    spans: Spans = []
    recorded: frozenset[str] = frozenset()
    for entry in entries:
        day = dt.date.fromisoformat(entry.occurred_on[:10])
        states = entry.data.get("states")
        if day > until or states is None:
            continue
        fact = entry.data.get("fact") or {}
        if entry.event == "Registered":
            spans += initial_coverage(fact, entry.occurred_on, list(states))
        elif entry.event == "FactRecorded":
            before = steps[-1][1] if steps else {}
            recorded |= {region for region, state in states.items() if before.get(region) != state}
            if fact.get("type") == "coverage_declared":
                spans.append(coverage_span(parse_fact(fact)))  # type: ignore[arg-type]
        if steps and steps[-1][0] == day:
            steps.pop()  # several facts on one day: the day ends in the last one's states
        steps.append((day, states, recorded))
    return steps, spans


def _positions(steps: Steps, spans: Spans, days: Sequence[dt.date]) -> list[Position | None]:
    starts = [day for day, _, _ in steps]
    found: list[Position | None] = []
    for day in days:
        held = bisect.bisect_right(starts, day)
        found.append(_position(day, *steps[held - 1][1:], spans) if held else None)
    return found


def _position(day: dt.date, states: Mapping[str, str], recorded: frozenset[str], spans: Spans) -> Position:
    text = day.isoformat()
    record = record_of(states, recorded, {region: covered(spans, [region], text, text) for region in DFE_REGIONS})
    if all(found == "covered" for found in record.values()):
        dfe_record = "covered"
    elif "on_record" in record.values():
        dfe_record = "on_record"
    else:
        dfe_record = "nothing_on_record"
    return Position(
        day, derive_stage(states), states["judgement"], states["instrument"], states["delivery"], dfe_record
    )


def _moved(before: Position, after: Position) -> bool:
    return (before.stage, before.grade, before.instrument, before.delivery, before.dfe_record) != (
        after.stage, after.grade, after.instrument, after.delivery, after.dfe_record
    )  # fmt: skip


@dataclass(frozen=True)
class NeighbourRow:
    """A council (rank 0) or one of its neighbours, where it stood at the end of each day asked for (None: not
    registered in the store then)."""

    rank: int
    code: str
    name: str
    region: str
    positions: tuple[Position | None, ...]


def neighbour_rows(
    table: CouncilTable, code: str, timelines: Mapping[str, Sequence[TimelineEntry]], days: Sequence[dt.date]
) -> tuple[NeighbourRow, ...]:
    """The council `code` and its statistical neighbours on each of `days`, read off their timelines (`timelines`
    by code; a council it lacks is not in the store); nothing if the table does not list the council."""
    row = table.rows.get(code)
    if row is None:
        return ()
    absent: tuple[Position | None, ...] = (None,) * len(days)
    return tuple(
        NeighbourRow(rank, found.code, found.name, found.region,
                     tuple(positions_on(timelines[found.code], days)) if found.code in timelines else absent)
        for rank, found in enumerate((row, *(table.rows[other] for other in row.neighbours)))
    )  # fmt: skip
