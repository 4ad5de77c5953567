"""A council's position on the intervention path, read off the council: the answer of `InterventionEngine.state`."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from ..aggregates.council import PENDING, Council
from ..aggregates.coverage import uncertain_on
from ..persistence.projection import project_events
from ..policies.rulebook import REGIONS
from ..results import CouncilStatus

_TIMER_FIELDS = ("kind", "due_on", "rule_id", "policy_version")
_EXPECTATION_FIELDS = ("kind", "rule_id", "policy_version", "expected", "due_on")


def council_status(council: Council, as_of: dt.date | None) -> CouncilStatus:
    """Stage, states, pending timers by due date, open expectations and deviations; copies, never the council's
    own dicts (the engine keeps councils between commands)."""
    timers = sorted(council.timers.items(), key=lambda item: (item[1]["due_on"], item[1]["seq"]))
    pending = [
        {"timer_id": tid, **{k: v for k, v in t.items() if k in _TIMER_FIELDS}}
        for tid, t in timers
        if t["status"] == PENDING
    ]
    expectations = [
        {"expectation_id": eid, **{k: e[k] for k in _EXPECTATION_FIELDS}}
        for eid, e in council.open_expectations().items()
    ]
    day = as_of.isoformat() if as_of else council.last_occurred_on
    record = region_record(council, day)
    return CouncilStatus(
        council.code,
        council.name,
        as_of,
        council.stage,
        dict(council.states),
        copy.deepcopy(council.details),
        copy.deepcopy(council.inspections[-1]) if council.inspections else None,
        pending,
        copy.deepcopy(expectations),
        copy.deepcopy(council.deviations),
        record,
        uncertain_on(council.__dict__.get("partial_dates", []), day) if as_of else [],
    )


def council_at_end_of(events: Iterable[Any], day: dt.date) -> Council | None:
    """The council as its stored `events` say at the end of `day` (None: registered later), projected as the store
    projects a stream (`persistence.projection.project_events`)."""
    limit = day.isoformat()
    return project_events(None, itertools.takewhile(lambda event: event.occurred_on <= limit, events))


def region_record(council: Council, day: str) -> dict[str, str]:
    """Per region, what the record says on `day` (`record_of`), from the council's states, the regions a fact on
    record set, and what its sources cover on that day."""
    recorded = council.__dict__.get("recorded_regions", [])  # councils snapshotted before it existed: none
    return record_of(council.states, recorded, council.coverage_on(day))


def record_of(states: Mapping[str, str], recorded: Collection[str], coverage: Mapping[str, bool]) -> dict[str, str]:
    """Per region of `coverage` (whether a source that keeps everything covers it on the day), what the record
    says: `covered`, `on_record` (a fact on record set its state: it is in `recorded`, or out of its initial
    state), or `nothing_on_record` (its default state, which may only mean that no source said otherwise: DESIGN
    decision 12). The one rule for a council's state and for its trajectory (`history.neighbours`)."""
    initial = {region: spec["initial"] for region, spec in REGIONS.items()}
    return {
        region: "covered" if known else
        "on_record" if region in recorded or states[region] != initial.get(region) else "nothing_on_record"
        for region, known in coverage.items()
    }  # fmt: skip
