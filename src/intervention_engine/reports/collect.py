"""What the report draws, read from the engine once: council histories as bands and markers, national counts.

Everything here comes through `InterventionEngine` queries (`councils`, `timeline`, `state`, `deviations`,
`national`); the charts and the page never touch the store.

A region still in its default state ("no instrument", "the council delivers") on days no source covers (DESIGN
decision 12) is "nothing on record", not "none": its band says so (`Band.nothing_on_record`). What the sources cover
is read in the same pass over the council's timeline (its registration and its `coverage_declared` facts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..aggregates.coverage import initial_coverage
from ..calendar import add_months
from ..engine import InterventionEngine, TimelineEntry
from ..history.neighbours import CouncilTable, NeighbourRow, neighbour_rows
from ..policies.rulebook import REGIONS
from ..projections.national import NationalCount
from .regions import RegionSeries, region_series, registered_region

# Facts that Ofsted publishes; a council with nothing else on record (and no deviation) gets no chart of its own.
INSPECTION_FACTS = frozenset({"inspection_published", "monitoring_visit_published", "focused_visit_published"})
NATIONAL_FROM = dt.date(2014, 1, 1)


@dataclass(frozen=True)
class Band:
    """A region held one state from `start` until `end` (the day the next band starts). `nothing_on_record`: the
    state is the region's default and no source covers these days, so it stands for silence, not for "none"."""

    region: str
    state: str
    start: dt.date
    end: dt.date
    nothing_on_record: bool = False


@dataclass(frozen=True)
class Marker:
    """Something that happened on one day: a fact, a timer that fell due, a deviation. An inferred fact (no source
    states it, the record implies it) carries the rule that inferred it and the fact that implied it, and the region
    it moved (where the chart marks it)."""

    on: dt.date
    kind: str
    text: str
    inferred: bool = False
    inference: str = ""
    implied_by: str = ""
    region: str = ""


@dataclass(frozen=True)
class CouncilHistory:
    """One council's life on the intervention path, ready to draw."""

    code: str
    name: str
    stage: str
    start: dt.date
    until: dt.date
    bands: tuple[Band, ...]
    facts: tuple[Marker, ...]
    timers: tuple[Marker, ...]
    deviations: tuple[Marker, ...]


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows. `neighbours` holds, by council code, the council and its statistical
    neighbours on each of `neighbour_days` (empty without a council identity table); `regions` the national count
    of councils in DfE intervention by region."""

    until: dt.date
    councils: tuple[CouncilHistory, ...]
    national: tuple[NationalCount, ...]
    deviations: tuple[dict[str, Any], ...]
    total_councils: int
    regions: tuple[RegionSeries, ...] = ()
    neighbour_days: tuple[dt.date, ...] = ()
    neighbours: Mapping[str, tuple[NeighbourRow, ...]] = field(default_factory=dict)


def collect(engine: InterventionEngine, councils: Sequence[str] = (), table: CouncilTable | None = None) -> ReportData:
    """Read the store: the councils asked for (by code or name), or every council with a DfE fact or a deviation;
    with the council identity table (`councils.csv`), each drawn council's statistical neighbours."""
    timelines = {code: engine.timeline(code) for code, _ in engine.councils()}
    until = max((_day(entries[-1].occurred_on) for entries in timelines.values() if entries), default=NATIONAL_FROM)
    deviations = engine.deviations()
    if councils:
        codes = list(dict.fromkeys(engine.state(council).council for council in councils))
        deviations = [d for d in deviations if d["council"] in codes]
    else:
        deviating = {d["council"] for d in deviations}
        named = sorted(engine.councils(), key=lambda council: (council[1].casefold(), council[0]))
        codes = [code for code, _ in named if code in deviating or _has_dfe_fact(timelines[code])]
    histories = tuple(history(engine, code, timelines[code], until) for code in codes)
    days = national_days(until)
    national = tuple(engine.national(days))
    regions = region_series({code: registered_region(entries) for code, entries in timelines.items()}, timelines, days)
    yearly = tuple(neighbour_days(until))
    panels = {code: neighbour_rows(table, code, timelines, yearly) for code in codes} if table else {}
    return ReportData(until, histories, national, tuple(deviations), len(timelines), regions, yearly, panels)


def neighbour_days(until: dt.date) -> list[dt.date]:
    """31 March of every year from 2014 up to `until`, and `until` itself."""
    return [
        *(dt.date(year, 3, 31) for year in range(NATIONAL_FROM.year, until.year + 1) if dt.date(year, 3, 31) < until),
        until,
    ]


def intervention_words(count: NationalCount) -> str:
    """`at least 40 councils in DfE intervention on 1 December 2026 (DfE record covered for 12 of 154)`: a floor
    wherever some council's DfE record is not covered (DESIGN decision 12), the plain count where every one is."""
    floor = "" if count.complete else "at least "
    councils = "council" if count.in_intervention == 1 else "councils"
    return (
        f"{floor}{count.in_intervention} {councils} in DfE intervention on {count.on:%-d %B %Y} "
        f"(DfE record covered for {count.dfe_record_covered} of {count.councils})"
    )


def sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


def national_days(until: dt.date) -> list[dt.date]:
    """The first of every month from January 2014, and `until` itself."""
    days = []
    day = NATIONAL_FROM
    while day < until:
        days.append(day)
        day = add_months(day, 1)
    return [*days, until]


def history(engine: InterventionEngine, code: str, entries: Sequence[TimelineEntry], until: dt.date) -> CouncilHistory:
    """One council's bands (from the states after each fact, split where nothing is on record), facts, fired timers
    and deviations."""
    status = engine.state(code)
    changes = [(_day(entry.occurred_on), entry.data["states"]) for entry in entries if "states" in entry.data]
    spans = coverage_spans(entries)
    deviations = tuple(
        Marker(_day(d["occurred_on"]), str(d["rule_id"]), f"{d['expected']}; {d['happened']}")
        for d in status.deviations
    )
    return CouncilHistory(
        code=status.council,
        name=status.name,
        stage=status.stage,
        start=changes[0][0] if changes else until,
        until=until,
        bands=tuple(
            piece
            for region in status.states
            for band in _bands(region, changes, until)
            for piece in split_unrecorded(band, spans)
        ),
        facts=tuple(_facts(entries)),
        timers=tuple(_fired_timers(entries)),
        deviations=deviations,
    )


def _bands(region: str, changes: Sequence[tuple[dt.date, Mapping[str, str]]], until: dt.date) -> Iterator[Band]:
    """Consecutive days in one state, merged into one band."""
    held: tuple[str, dt.date] | None = None
    for day, states in changes:
        state = states[region]
        if held is not None and held[0] != state:
            yield Band(region, held[0], held[1], day)
        if held is None or held[0] != state:
            held = (state, day)
    if held is not None:
        yield Band(region, held[0], held[1], max(until, held[1]))


Spans = list[Mapping[str, Any]]


def coverage_spans(entries: Sequence[TimelineEntry]) -> Spans:
    """What the council's sources cover, as the aggregate keeps it: the registration's span (a complete record from
    registration on) and every `coverage_declared` fact's, whenever it was declared."""
    spans: Spans = []
    for entry in entries:
        if entry.event == "Registered":
            spans += initial_coverage(entry.data.get("fact") or {}, entry.occurred_on, list(entry.data["states"]))
        elif entry.event == "FactRecorded" and "coverage" in entry.data.get("details", {}):
            spans.append(entry.data["details"]["coverage"])
    return spans


def split_unrecorded(band: Band, spans: Spans) -> Iterator[Band]:
    """A band in its region's default state, cut into the days some source covers and the days none does (nothing on
    record); a band in any other state is on record, and stays whole."""
    if REGIONS[band.region]["initial"] != band.state or band.start == band.end:
        yield band
        return
    day = band.start
    for start, end in _covered_days(spans, band.region):  # merged, sorted, `end` exclusive
        if end <= day or start >= band.end:
            continue
        if start > day:
            yield Band(band.region, band.state, day, start, nothing_on_record=True)
        day = min(end, band.end)
        yield Band(band.region, band.state, max(start, band.start), day)
    if day < band.end:
        yield Band(band.region, band.state, day, band.end, nothing_on_record=True)


def _covered_days(spans: Spans, region: str) -> list[tuple[dt.date, dt.date]]:
    """The days the spans cover in `region`, as merged [start, end) intervals in order."""
    merged: list[tuple[dt.date, dt.date]] = []
    pieces = sorted(
        (_day(str(span["from"])), _day(str(span["until"])) + dt.timedelta(days=1) if span["until"] else dt.date.max)
        for span in spans
        if region in span["regions"]
    )
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _facts(entries: Sequence[TimelineEntry]) -> Iterator[Marker]:
    before: Mapping[str, str] = {}
    for entry in entries:
        states: Mapping[str, str] = entry.data.get("states") or before
        if entry.event == "FactRecorded":
            fact = entry.data["fact"]
            moved = [region for region in states if before.get(region) != states[region]]
            yield Marker(
                _day(entry.occurred_on),
                str(fact["type"]),
                entry.summary,
                inferred=bool(fact.get("inferred")),
                inference=str(fact.get("inference") or ""),
                implied_by=str(fact.get("implied_by") or ""),
                region=moved[0] if moved else "instrument",
            )
        before = states


def _fired_timers(entries: Sequence[TimelineEntry]) -> Iterator[Marker]:
    kinds: dict[str, str] = {}
    for entry in entries:
        if entry.event == "TimerScheduled":
            kinds[entry.data["timer_id"]] = entry.data["kind"]
        elif entry.event == "TimerFired":
            kind = kinds.get(entry.data["timer_id"], "timer")
            yield Marker(_day(entry.occurred_on), kind, f"{kind} fell due")


def _has_dfe_fact(entries: Sequence[TimelineEntry]) -> bool:
    return any(
        entry.event == "FactRecorded" and entry.data["fact"]["type"] not in INSPECTION_FACTS for entry in entries
    )


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])
