"""Where a simulation starts: each council as the store holds it at the end of a day, in the world model's terms.

A `CouncilStart` is read from the council's own stored events up to that day (the same prefix a branch copies), so
the full engine and the compact kernel start every run from the same states, open expectations and timers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..aggregates.council import PENDING, Council
from ..aggregates.expectations import MISSED, OPEN, UNVERIFIED
from ..engine import InterventionEngine
from ..errors import CouncilNotFound
from ..policies.framework import framework_of
from .calibration import ERAS
from .outcomes import LastInspection, effective_grade

# DfE instruments expected after an inadequate judgement (DFE-02, DFE-03): the gap a record without DfE facts leaves.
INSTRUMENT_EXPECTATIONS = frozenset({"improvement_notice", "dfe_intervention", "direction_with_commissioner"})


@dataclass(frozen=True)
class OpenExpectation:
    """An expectation open at the start: what the DfE is expected to do, since when and by when."""

    seq: int
    kind: str
    opened: int
    due: int | None
    meets: tuple[Mapping[str, Any], ...]
    contradicts: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class CouncilStart:
    """One council at the end of day `on` (ordinal), numbered for its random stream."""

    code: str
    name: str
    number: int
    on: int
    states: Mapping[str, str]
    delivery_form: str | None
    last: LastInspection | None
    last_inadequate: int | None
    expectations: tuple[OpenExpectation, ...]
    expectation_count: int
    report_due: int | None
    supervision_ends: int | None
    gap_fills: tuple[tuple[int, str], ...]  # (seq, kind) of missed instrument expectations the DfE acts on at once
    led_by_commissioner: bool = False  # the open direction is a commissioner's (DFE-08 continuation, not escalation)
    review_due: int | None = None  # the DfE's next progress review under a notice (DFE-05)
    check_due: int | None = None  # the six-month check after an inadequate judgement (DFE-04)


def council_as_of(engine: InterventionEngine, council: str, on: dt.date) -> Council:
    """The council as its stored events say at the end of `on` (events dated later are left out)."""
    return engine.council_as_of(council, on)


def events_until(engine: InterventionEngine, cid: Any, on: dt.date | int) -> Iterable[Any]:
    """A council's stored events up to the end of a day (a date) or up to a stream version (an int)."""
    events: Iterable[Any] = engine.store.events.get(cid)
    for event in events:
        if event.occurred_on > on.isoformat() if isinstance(on, dt.date) else event.originator_version > on:
            return
        yield event


def start_of(council: Council, on: dt.date, *, number: int = 0, fill_gaps: bool = True) -> CouncilStart:
    """Read a council (folded up to `on`) into the world model's terms."""
    today = on.toordinal()
    expectations = tuple(
        OpenExpectation(
            e["seq"], e["kind"], _ordinal(e["opened_on"]), _ordinal(e["due_on"]) if e["due_on"] else None,
            tuple(e["meets"]), tuple(e["contradicts"]),
        )
        for e in sorted(council.expectations.values(), key=lambda e: e["seq"])
        if e["status"] == OPEN and (e["due_on"] is None or e["due_on"] >= on.isoformat())
    )  # fmt: skip
    return CouncilStart(
        code=council.code,
        name=council.name,
        number=number,
        on=today,
        states=dict(council.states),
        delivery_form=council.details.get("delivery_form"),
        led_by_commissioner=council.details.get("direction_led_by") == "commissioner",
        last=_last_inspection(council.inspections),
        last_inadequate=_last_inadequate(council.inspections),
        expectations=expectations,
        expectation_count=council.expectation_count,
        report_due=_pending_due(council, "commissioner_report_due"),
        supervision_ends=_pending_due(council, "support_and_supervision_ends"),
        gap_fills=_gaps(council) if fill_gaps else (),
        review_due=_pending_due(council, "dfe_progress_review"),
        check_due=_pending_due(council, "six_month_progress_check"),
    )


def national_start(engine: InterventionEngine, on: dt.date, *, fill_gaps: bool = True) -> list[CouncilStart]:
    """Every council registered by `on`, in code order, numbered 0, 1, 2, ..."""
    starts: list[CouncilStart] = []
    for code, _ in engine.councils():
        try:
            council = council_as_of(engine, code, on)
        except CouncilNotFound:
            continue  # registered after `on`
        starts.append(start_of(council, on, number=len(starts), fill_gaps=fill_gaps))
    return starts


def _ordinal(day: str) -> int:
    return dt.date.fromisoformat(day).toordinal()


def _last_inspection(inspections: list[dict[str, Any]]) -> LastInspection | None:
    for inspection in reversed(inspections):
        grade = effective_grade(inspection["judgements"])
        if grade is not None:
            return LastInspection(_ordinal(inspection["published_on"]), ERAS[inspection["framework"]], grade)
    return None


def _last_inadequate(inspections: list[dict[str, Any]]) -> int | None:
    found = [i["published_on"] for i in inspections if framework_of(i).judges_inadequate(i)]
    return _ordinal(max(found)) if found else None


def _pending_due(council: Council, kind: str) -> int | None:
    due = [t["due_on"] for t in council.timers.values() if t["status"] == PENDING and t["kind"] == kind]
    return _ordinal(min(due)) if due else None


def _gaps(council: Council) -> tuple[tuple[int, str], ...]:
    """Instrument expectations of the latest (inadequate) report that the record missed, or where nothing is on record
    (unverified), while no instrument is open: the DfE's record is partial, so the simulation fills what policy
    expected."""
    if not council.inspections or council.states["instrument"] != "none" or council.states["delivery"] != "council":
        return ()
    latest = council.inspections[-1]
    if not framework_of(latest).judges_inadequate(latest):
        return ()
    return tuple(
        (e["seq"], e["kind"])
        for e in sorted(council.expectations.values(), key=lambda e: e["seq"])
        if e["kind"] in INSTRUMENT_EXPECTATIONS
        and e["status"] in (MISSED, UNVERIFIED)
        and e["opened_on"] == latest["published_on"]
    )


def starts_from(
    from_date: dt.date, engine: InterventionEngine | None, starts: Sequence[CouncilStart] | None, *, who: str
) -> tuple[CouncilStart, ...]:
    """The councils' starting points given, or read from an engine holding the real record; refused when neither
    is given or no council is on record by the day."""
    if starts is None:
        if engine is None:
            raise ValueError(f"{who} needs the real state: an engine holding the record, or the councils' starts")
        starts = national_start(engine, from_date)
    if not starts:
        raise ValueError(f"{who}: no council is on record by {from_date}: replay the record first")
    return tuple(starts)
