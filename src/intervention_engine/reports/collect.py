"""What the report draws, read from the engine once: council histories as bands and markers, national counts.

Everything here comes through `InterventionEngine` queries (`councils`, `timeline`, `state`, `deviations`,
`national`); the charts and the page never touch the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..calendar import add_months
from ..engine import InterventionEngine, TimelineEntry
from ..projections.national import NationalCount

# Facts that Ofsted publishes; a council with nothing else on record (and no deviation) gets no chart of its own.
INSPECTION_FACTS = frozenset({"inspection_published", "monitoring_visit_published", "focused_visit_published"})
NATIONAL_FROM = dt.date(2014, 1, 1)


@dataclass(frozen=True)
class Band:
    """A region held one state from `start` until `end`."""

    region: str
    state: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Marker:
    """Something that happened on one day: a fact, a timer that fell due, a deviation."""

    on: dt.date
    kind: str
    text: str


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
    """Everything one report shows."""

    until: dt.date
    councils: tuple[CouncilHistory, ...]
    national: tuple[NationalCount, ...]
    deviations: tuple[dict[str, Any], ...]
    total_councils: int


def collect(engine: InterventionEngine, councils: Sequence[str] = ()) -> ReportData:
    """Read the store: the councils asked for (by code or name), or every council with a DfE fact or a deviation."""
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
    national = tuple(engine.national(national_days(until)))
    return ReportData(until, histories, national, tuple(deviations), len(timelines))


def national_days(until: dt.date) -> list[dt.date]:
    """The first of every month from January 2014, and `until` itself."""
    days = []
    day = NATIONAL_FROM
    while day < until:
        days.append(day)
        day = add_months(day, 1)
    return [*days, until]


def history(engine: InterventionEngine, code: str, entries: Sequence[TimelineEntry], until: dt.date) -> CouncilHistory:
    """One council's bands (from the states after each fact), facts, fired timers and deviations."""
    status = engine.state(code)
    changes = [(_day(entry.occurred_on), entry.data["states"]) for entry in entries if "states" in entry.data]
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
        bands=tuple(band for region in status.states for band in _bands(region, changes, until)),
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


def _facts(entries: Sequence[TimelineEntry]) -> Iterator[Marker]:
    for entry in entries:
        if entry.event == "FactRecorded":
            yield Marker(_day(entry.occurred_on), str(entry.data["fact"]["type"]), entry.summary)


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
