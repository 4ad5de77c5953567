"""Replaying the real record into the store: scenario files and/or the national Ofsted CSV, council by council.

Every input is read and checked before anything is recorded (`read_ofsted_csv`, `load_scenario`). A council with a
scenario file takes its history from that file (its inspections included), so the CSV's rows for it are left
aside; councils already in the store are not replayed again. Timers fall due on the engine's virtual clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import InterventionEngine
from ..facts import CouncilRegistered, CoverageDeclared, Framework, InspectionPublished, Region
from .ofsted_csv import OfstedImport, Skipped
from .partial_dates import period_end
from .register import RegisterImport
from .scenario import Scenario, replay_scenario
from .sources import Merged, SourcedFact, merge_sources
from .timelines import TimelineImport

Progress = Callable[[str], None]

SIF_FROM = dt.date(2013, 11, 1)
REGISTERED_FROM = dt.date(2000, 1, 1)  # before the first fact of any source (Surrey's notice of 2008)
ALL_REGIONS = tuple(Region)  # ILACS-01: the CSV holds every graded SIF and ILACS report from here on


@dataclass
class NationalReplay:
    """What a replay recorded and what it left aside, and why."""

    councils: list[str] = field(default_factory=list)
    facts: int = 0
    already_in_store: list[str] = field(default_factory=list)
    from_scenarios: list[str] = field(default_factory=list)
    skipped_rows: list[Skipped] = field(default_factory=list)
    same_fact: list[str] = field(default_factory=list)  # one fact from two sources, recorded once
    conflicts: list[str] = field(default_factory=list)  # sources that disagree: who won, what was kept as a note
    inferred: list[str] = field(default_factory=list)  # steps the record implies, recorded as inferred facts


@dataclass
class CouncilSources:
    """Everything the sources say about one council: who it is, its facts, and what each source covers."""

    registration: CouncilRegistered
    facts: list[SourcedFact] = field(default_factory=list)
    coverage: list[CoverageDeclared] = field(default_factory=list)
    scenario_only: Scenario | None = None
    _merged: Merged | None = field(default=None, repr=False, compare=False)

    def merged(self) -> Merged:
        """The council's facts merged (`sources.merge_sources`), once: every replay and calibration reads this."""
        if self._merged is None:
            self._merged = merge_sources(self.facts)
        return self._merged


def replay_record(
    engine: InterventionEngine,
    *,
    scenarios: Sequence[Scenario] = (),
    timelines: Sequence[TimelineImport] = (),
    register: RegisterImport | None = None,
    ofsted: OfstedImport | None = None,
    until: dt.date,
    progress: Progress | None = None,
    gathered: Mapping[str, CouncilSources] | None = None,
) -> NationalReplay:
    """Record every council of every source, each council's sources merged (`sources.merge_sources`), then let
    timers fall due up to `until`. A council whose only source is one scenario file is replayed from it as
    `replay_scenario` does (strict unless the engine is lenient); any other council is recorded in lenient mode, so
    the steps its record implies are inferred (`policies/inference.py`). Councils already in the store are left.
    `gathered`: the same sources as `gather` gave them, when the caller keeps them (they are not gathered again)."""
    report = NationalReplay(skipped_rows=list(ofsted.skipped) if ofsted else [])
    present = {code.casefold() for code, _ in engine.councils()}
    if gathered is None:
        gathered = gather(scenarios, timelines, register, ofsted)
    for code, sources in gathered.items():
        if code.casefold() in present:
            report.already_in_store.append(code)
        elif sources.scenario_only is not None:
            scenario = sources.scenario_only
            report.facts += len(replay_scenario(engine, scenario, until=min(until, scenario.ends_on))) - 1
            report.councils.append(code)
            report.from_scenarios.append(code)
        else:
            report.facts += _record_council(engine, code, sources, until, report)
            report.councils.append(code)
            if any(item.kind == "scenario" for item in sources.facts):
                report.from_scenarios.append(code)
        _tick(progress, code)
    engine.advance_to(until)
    return report


def gather(
    scenarios: Sequence[Scenario],
    timelines: Sequence[TimelineImport],
    register: RegisterImport | None,
    ofsted: OfstedImport | None,
) -> dict[str, CouncilSources]:
    """Each council's sources, by DfE code in code order (whatever order the files came in)."""
    found: dict[str, CouncilSources] = {}

    def council(registration: CouncilRegistered) -> CouncilSources:
        return found.setdefault(registration.code, CouncilSources(registration))

    for scenario in sorted(scenarios, key=lambda s: s.origin):
        entry = council(scenario.registration())
        name = _named(Path(scenario.origin))
        entry.facts += [
            SourcedFact(event.to_fact(), "scenario", name, scenario.event_line(index) or index)
            for index, event in enumerate(scenario.events)
        ]
        entry.coverage.append(_covers(ALL_REGIONS, scenario.events[0].fact.occurred_on, scenario.ends_on, name))
    for timeline in sorted(timelines, key=lambda t: str(t.path)):
        entry = council(timeline.registration)
        entry.facts += [SourcedFact(fact, "timeline", _named(timeline.path), index) for index, fact in
                        enumerate(timeline.facts)]  # fmt: skip
        if timeline.facts:
            first, last = timeline.facts[0], timeline.facts[-1]
            span_end = period_end(last.occurred_on, last.date_precision)
            entry.coverage.append(_covers(ALL_REGIONS, first.occurred_on, span_end, _named(timeline.path)))
    if register is not None:
        for code, facts in sorted(register.facts.items()):
            council(register.registrations[code]).facts += facts
    if ofsted is not None:
        name = ofsted.path.name
        newest = max((f.occurred_on for found_ in ofsted.inspections.values() for f in found_), default=SIF_FROM)
        for code, inspections in sorted(ofsted.inspections.items()):
            entry = council(ofsted.councils[code])
            entry.facts += [SourcedFact(fact, "ofsted_csv", name, index) for index, fact in enumerate(inspections)]
            entry.coverage.append(_covers((Region.judgement,), _csv_covers_from(inspections), newest, name))
    for entry in found.values():
        kinds = {item.kind for item in entry.facts}
        if kinds == {"scenario"} and len({item.origin for item in entry.facts}) == 1:
            entry.scenario_only = next(s for s in scenarios if s.council.code == entry.registration.code)
    return dict(sorted(found.items()))


def _named(path: Path) -> str:
    """A file as sources name it: its folder and name (a scenario and a timeline of one council share a name)."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _csv_covers_from(inspections: Sequence[InspectionPublished]) -> dt.date:
    """The CSV holds every graded report from the start of SIF; a council whose first report is an ILACS one is a
    council formed since (Bournemouth, Christchurch and Poole; the Northamptonshires; Cumberland and Westmorland),
    whose SIF reports the CSV lacks (data/README.md), so it covers them from their first fieldwork only."""
    first = inspections[0]
    return first.fieldwork_start if first.resolved_framework is not Framework.sif else SIF_FROM


def _covers(regions: Sequence[Region], start: dt.date, end: dt.date, source: str) -> CoverageDeclared:
    return CoverageDeclared(
        occurred_on=REGISTERED_FROM, regions=tuple(regions), covers_from=start, covers_until=end, source=source
    )


def _record_council(
    engine: InterventionEngine, code: str, sources: CouncilSources, until: dt.date, report: NationalReplay
) -> int:
    """Register the council (its record partial: only what the sources cover is known), declare what each source
    covers, and record its merged facts in lenient mode up to `until`."""
    merged = sources.merged()
    report.same_fact += [f"{code}: {line}" for line in merged.same_fact]
    report.conflicts += [f"{code}: {line}" for line in merged.conflicts]
    registration = sources.registration.model_copy(update={"occurred_on": REGISTERED_FROM, "record_complete": False})
    engine.record(None, registration)
    for coverage in sources.coverage:
        engine.record(code, coverage)
    recorded = 0
    for fact in merged.facts:
        if fact.occurred_on <= until:
            answer = engine.record(code, fact, strict=False)
            recorded += 1
            report.inferred += [f"{code}: {line}" for line in answer.inferred]
    return recorded


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
        "same_fact_from_two_sources": report.same_fact,
        "conflicts": report.conflicts,
        "inferred": report.inferred,
        "councils": councils,
        "national": national.to_dict(),
    }
