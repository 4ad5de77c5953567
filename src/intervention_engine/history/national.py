"""Replaying the real record into the store: scenario files and/or the national Ofsted CSV, council by council.

Every input is read and checked before anything is recorded (`read_ofsted_csv`, `load_scenario`). A council with a
scenario file takes its history from that file (its inspections included), so the CSV's rows for it are left
aside; councils already in the store are not replayed again. Timers fall due on the engine's virtual clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import InterventionEngine
from .ofsted_csv import OfstedImport, Skipped
from .scenario import Scenario, replay_scenario
from .timelines import TimelineImport, import_timeline

Progress = Callable[[str], None]


@dataclass
class NationalReplay:
    """What a replay recorded and what it left aside, and why."""

    councils: list[str] = field(default_factory=list)
    facts: int = 0
    already_in_store: list[str] = field(default_factory=list)
    from_scenarios: list[str] = field(default_factory=list)
    skipped_rows: list[Skipped] = field(default_factory=list)


def replay_record(
    engine: InterventionEngine,
    *,
    scenarios: Sequence[Scenario] = (),
    timelines: Sequence[TimelineImport] = (),
    ofsted: OfstedImport | None = None,
    until: dt.date,
    progress: Progress | None = None,
) -> NationalReplay:
    """Record the scenarios, then the research timelines (lenient), then every other council of the CSV, then let
    timers fall due up to `until`."""
    report = NationalReplay(skipped_rows=list(ofsted.skipped) if ofsted else [])
    present = {code.casefold() for code, _ in engine.councils()}
    for scenario in scenarios:
        code = scenario.council.code
        if code.casefold() in present:
            report.already_in_store.append(code)
        else:
            report.facts += len(replay_scenario(engine, scenario, until=min(until, scenario.ends_on)))
            report.councils.append(code)
            report.from_scenarios.append(code)
            present.add(code.casefold())
        _tick(progress, code)
    for timeline in timelines:
        code = timeline.registration.code
        if code.casefold() in present:
            report.already_in_store.append(code)
        else:
            recorded = import_timeline(engine, timeline, until)
            report.facts += sum(1 for item in recorded if item.fact_type != "council_registered")
            report.councils.append(code)
            present.add(code.casefold())
        _tick(progress, code)
    for code, registration in ofsted.councils.items() if ofsted else ():
        if code.casefold() in present:
            if code not in report.councils:
                report.already_in_store.append(code)
        else:
            engine.record(None, registration)
            for inspection in ofsted.inspections[code] if ofsted else ():
                if inspection.occurred_on <= until:
                    engine.record(code, inspection)
                    report.facts += 1
            report.councils.append(code)
        _tick(progress, code)
    engine.advance_to(until)
    return report


def _tick(progress: Progress | None, code: str) -> None:
    if progress is not None:
        progress(code)


def replay_summary(
    engine: InterventionEngine, report: NationalReplay, until: dt.date, *, with_timelines: bool
) -> dict[str, Any]:
    """Per council its stage, states, facts and deviations (and timeline), and the national count on `until`."""
    councils = []
    for code in report.councils:
        status = engine.state(code, as_of=until)
        facts = [
            entry
            for entry in engine.timeline(code)
            if entry.event == "FactRecorded" and entry.occurred_on <= until.isoformat()
        ]
        council: dict[str, Any] = {
            "council": status.council, "name": status.name, "stage": status.stage, "states": status.states,
            "facts": len(facts), "deviations": status.deviations,
        }  # fmt: skip
        if with_timelines:
            council["timeline"] = [f"{entry.occurred_on} {entry.summary}" for entry in facts]
        councils.append(council)
    [national] = engine.national([until])
    return {
        "as_of": until.isoformat(),
        "replayed": len(report.councils),
        "facts": report.facts,
        "already_in_store": report.already_in_store,
        "skipped_rows": [row.__dict__ for row in report.skipped_rows],
        "councils": councils,
        "national": national.to_dict(),
    }
