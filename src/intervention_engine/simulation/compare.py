"""Comparing two timelines of one council: a branch against its baseline, or two branches (DESIGN decision 10).

Each side is an engine holding the council (the real store, or a branch's sandbox). From the fork to the end the
comparison reads, on each month's date, the stage; and over the period the facts, the timers set, the expectations
opened and how they closed, the deviations, the months in intervention and whether and when services left council
control (a trust or a partner council, DFE-07). Text, a dict for JSON, and a chart (`charts.timelines_chart`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..aggregates.council import Council
from ..aggregates.expectations import describe_fact
from ..calendar import add_months
from ..engine import InterventionEngine
from ..persistence.projection import project_events
from ..policies.rulebook import INTERVENTION_STAGES, OUT_OF_COUNCIL_STAGES, derive_stage
from .start import events_until

Side = tuple[str, InterventionEngine]  # a label and the engine holding the council
EXPECTATION_FIELDS = ("kind", "rule_id", "policy_version", "expected", "opened_on", "due_on", "status", "closed_by")


@dataclass(frozen=True)
class Timeline:
    """One side of a comparison, from `start` to `until`."""

    label: str
    stages: list[str]  # on each date of the comparison
    changes: list[tuple[str, str]]  # (day, stage): the stage at the start, then each change up to the end
    facts: list[dict[str, Any]]  # after the start: on, fact, simulated
    timers: list[dict[str, Any]]  # set after the start: kind, due_on, rule_id, status
    expectations: list[dict[str, Any]]  # opened after the start
    deviations: list[dict[str, Any]]  # after the start
    months_in_intervention: float
    out_of_council_on: str | None  # the day services moved to a trust or partner council, if they did by `until`

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    council: str
    name: str
    start: dt.date
    until: dt.date
    dates: list[dt.date]
    sides: tuple[Timeline, Timeline]

    def differences(self) -> list[tuple[dt.date, str, str]]:
        """The dates on which the two sides are in different stages."""
        a, b = self.sides
        return [(day, x, y) for day, x, y in zip(self.dates, a.stages, b.stages, strict=True) if x != y]

    def to_dict(self) -> dict[str, Any]:
        return {
            "council": self.council,
            "name": self.name,
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "dates": [day.isoformat() for day in self.dates],
            "sides": [side.to_dict() for side in self.sides],
            "differences": [{"on": day.isoformat(), "stages": [x, y]} for day, x, y in self.differences()],
        }

    def text(self) -> str:
        """The comparison in words: summary lines, then every month on which a stage changed or the sides differ."""
        a, b = self.sides
        width = max(len(a.label), len(b.label), *(len(stage) for stage in (*a.stages, *b.stages))) + 2
        lines = [f"{self.name} ({self.council}) from {self.start} to {self.until}: {a.label} against {b.label}", ""]
        rows = [
            ("months in intervention", f"{a.months_in_intervention:.1f}", f"{b.months_in_intervention:.1f}"),
            ("services left the council", a.out_of_council_on or "no", b.out_of_council_on or "no"),
            ("facts after the fork", str(len(a.facts)), str(len(b.facts))),
            ("expectations opened", str(len(a.expectations)), str(len(b.expectations))),
            ("deviations", str(len(a.deviations)), str(len(b.deviations))),
            ("stage at the end", a.stages[-1], b.stages[-1]),
        ]
        lines.append(f"{'':28}{a.label:<{width}}{b.label}")
        lines += [f"{label:28}{x:<{width}}{y}" for label, x, y in rows]
        lines += ["", f"{'on':12}{a.label:<{width}}{b.label}"]
        previous = ("", "")
        for day, x, y in zip(self.dates, a.stages, b.stages, strict=True):
            if (x, y) != previous:
                mark = "" if x == y else "   <- differs"
                lines.append(f"{day.isoformat():12}{x:<{width}}{y}{mark}")
                previous = (x, y)
        for side in self.sides:
            if side.deviations:
                lines += ["", f"Deviations on {side.label}:"]
                lines += [f"  {d['occurred_on']} {d['rule_id']}: expected {d['expected']}" for d in side.deviations]
        return "\n".join(lines)


def monthly(start: dt.date, until: dt.date) -> list[dt.date]:
    """The fork day and the same day of each month after it, up to `until` (always included)."""
    days = [start]
    while (following := add_months(start, len(days))) <= until:
        days.append(following)
    return days if days[-1] == until else [*days, until]


def compare(a: Side, b: Side, council: str, *, start: dt.date, until: dt.date) -> Comparison:
    """Two timelines of `council` (each an engine holding it) from `start` to the end of `until`."""
    dates = monthly(start, until)
    first, second = timeline(a, council, start, until, dates), timeline(b, council, start, until, dates)
    name = _name(a[1], council)
    return Comparison(council, name, start, until, dates, (first, second))


def timeline(side: Side, council: str, start: dt.date, until: dt.date, dates: Sequence[dt.date]) -> Timeline:
    label, engine = side
    cid = engine.index.find(council)
    if cid is None:
        raise engine.index.not_found(council)
    after, limit = start.isoformat(), until.isoformat()
    events = list(events_until(engine, cid, until))
    aggregate: Council | None = project_events(None, events)
    changes: list[tuple[str, dict[str, str]]] = []
    facts: list[dict[str, Any]] = []
    for event in events:
        states = getattr(event, "states", None)
        if states is not None:
            changes.append((event.occurred_on, states))
        fact = getattr(event, "fact", None)
        if fact is not None and event.occurred_on > after:
            simulated = bool(fact.get("simulated"))
            facts.append({"on": event.occurred_on, "fact": describe_fact(fact), "simulated": simulated})
    assert aggregate is not None
    stages = [_stage_on(changes, day.isoformat()) for day in dates]
    return Timeline(
        label,
        stages,
        _stage_changes(changes, stages[0], after),
        facts,
        [
            {k: t[k] for k in ("kind", "due_on", "rule_id", "status")}
            for t in sorted(aggregate.timers.values(), key=lambda t: t["seq"])
            if t["scheduled_on"] > after
        ],
        [
            {k: e[k] for k in EXPECTATION_FIELDS}
            for e in sorted(aggregate.expectations.values(), key=lambda e: e["seq"])
            if e["opened_on"] > after
        ],
        [d for d in aggregate.deviations if d["occurred_on"] > after],
        _months_in_intervention(changes, after, limit),
        next((on for on, states in changes if on <= limit and states["delivery"] in OUT_OF_COUNCIL_STAGES), None),
    )


def _stage_changes(changes: Sequence[tuple[str, dict[str, str]]], first: str, after: str) -> list[tuple[str, str]]:
    found = [(after, first)]
    for on, states in changes:
        stage = derive_stage(states)
        if on > after and stage != found[-1][1]:
            found.append((on, stage))
    return found


def _stage_on(changes: Sequence[tuple[str, dict[str, str]]], day: str) -> str:
    current = None
    for on, states in changes:
        if on > day:
            break
        current = states
    return derive_stage(current) if current else "not_registered"


def _months_in_intervention(changes: Sequence[tuple[str, dict[str, str]]], after: str, limit: str) -> float:
    """Months (of 365.25/12 days) between the start and the end in an intervention stage (notice to trust)."""
    days, since = 0, None
    current = "not_registered"
    points = [(on, derive_stage(states)) for on, states in changes] + [(limit, None)]
    for on, stage in points:
        on = max(on, after)
        if current in INTERVENTION_STAGES and since is not None:
            days += (dt.date.fromisoformat(on) - dt.date.fromisoformat(since)).days
        if stage is not None:
            current, since = stage, on
    return round(days / (365.25 / 12), 1)


def _name(engine: InterventionEngine, council: str) -> str:
    cid = engine.index.find(council)
    return engine.index.names.get(cid, council) if cid else council
