"""Playing one council forward on the full engine: the world model's facts recorded one by one (DESIGN decision 9).

The engine decides everything as it does for real facts: the rulebook judges each fact, the policies in force open
and close expectations and set timers, deviations are recorded. The world model only reads the council back and
acts: Ofsted publishes the planned inspection, the DfE answers each open expectation, the commissioner reports
when `commissioner_report_due` falls due. Draws are made in the same order as in the compact kernel
(`kernel.py`), so one seed gives the same facts on both.

Order within a day: scripted facts, then Ofsted's reports, its visits (ILACS-05, ILACS-08), the commissioner, the
DfE's progress reviews (DFE-05, DFE-04), the DfE's answers by expectation, services returning (DFE-07).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..aggregates.council import PENDING, Council
from ..aggregates.expectations import OPEN
from ..aggregates.identity import council_id
from ..calendar import add_months
from ..engine import InterventionEngine
from ..errors import MoveNotAllowed
from ..facts import AlternativeDeliveryLive, Fact, InspectionPublished
from .outcomes import LastInspection, PlannedInspection, day_of, effective_grade, era_of, inspection_fact
from .start import CouncilStart
from .world import (
    PROGRESS_REVIEW,
    REPORT_ADM,
    REPORT_RETAIN,
    RESPONSES,
    RETURN_RETRY_MONTHS,
    REVIEW_INSUFFICIENT,
    REVIEW_SUFFICIENT,
    REVIEW_TIMERS,
    SERVICES_RETURNED,
    WorldModel,
    action_fact,
    response_day,
    visits_between,
)

FIRE, SCRIPTED, OFSTED, VISIT, COMMISSIONER, REVIEW, DFE, RETURN = -2, -1, 0, 1, 2, 3, 4, 5


@dataclass
class _Agenda:
    """What the world will do next for one council."""

    planned: PlannedInspection | None
    responses: dict[int, tuple[int, str]] = field(default_factory=dict)  # expectation seq → (day, kind)
    gaps: dict[int, tuple[int, str]] = field(default_factory=dict)
    seen: int = 0
    handled_reports: set[str] = field(default_factory=set)
    handled_reviews: set[str] = field(default_factory=set)
    visits: list[tuple[int, int]] = field(default_factory=list)  # (day, action): Ofsted's visits to come
    returns: int | None = None  # the day services come back to the council (DFE-07)
    grade: str | None = None  # the effective grade of the latest report


def play_forward(
    engine: InterventionEngine,
    start: CouncilStart,
    until: dt.date,
    world: WorldModel,
    rng: random.Random,
    *,
    scripted: Sequence[Fact] = (),
) -> list[Fact]:
    """Record the world's facts (and `scripted` ones, leniently) for one council from `start.on` to `until`.

    Returns every fact recorded, in order. The engine's clock ends on the day after `until`, so timers due on
    `until` have fired.
    """
    planned = world.outcomes.next_inspection(rng, start.code, start.last, start.on)
    agenda = _Agenda(planned, seen=start.expectation_count, grade=start.last.grade if start.last else None)
    for expectation in start.expectations:
        _answer(agenda, world, rng, expectation.seq, expectation.kind, expectation.opened, expectation.due, start.on)
    agenda.gaps = {seq: (start.on, kind) for seq, kind in start.gap_fills}
    if world.switches.services_return and start.states["delivery"] in ("trust", "partner_council"):
        agenda.returns = start.on + world.dfe.return_after(rng)
    agenda.visits = visits_between(world.switches, start.last, planned, start.on)
    pending = sorted(scripted, key=lambda fact: fact.occurred_on)
    recorded: list[Fact] = []
    council = _load(engine, start.code)
    while True:
        step = _next(agenda, council, pending, world)
        if step is None or step[0] > until.toordinal():
            break
        engine.advance_to(day_of(step[0]))
        fact = _act(engine, start, agenda, world, rng, pending, step)
        if fact is not None:
            recorded.append(fact)
        council = _load(engine, start.code)  # as the step left it; `_sync` and the next `_next` only read it
        _sync(agenda, council, world, rng, step[0])
        if isinstance(fact, AlternativeDeliveryLive) and step[1] == DFE and world.switches.services_return:
            agenda.returns = step[0] + world.dfe.return_after(rng)
    engine.advance_to(until + dt.timedelta(days=1))
    return recorded


def _next(agenda: _Agenda, council: Council, pending: list[Fact], world: WorldModel) -> tuple[int, int, int] | None:
    steps: list[tuple[int, int, int]] = []
    if pending:
        steps.append((pending[0].occurred_on.toordinal(), SCRIPTED, 0))
    if agenda.planned is not None:
        steps.append((agenda.planned.published, OFSTED, 0))
    if agenda.visits:
        steps.append((agenda.visits[0][0], VISIT, 0))
    if agenda.returns is not None:
        steps.append((agenda.returns, RETURN, 0))
    steps += [
        (dt.date.fromisoformat(t["due_on"]).toordinal(), REVIEW, REVIEW_TIMERS.index(t["kind"]))
        for tid, t in council.timers.items()
        if t["kind"] in REVIEW_TIMERS and world.reviews(t["kind"]) and t["status"] == PENDING
        and tid not in agenda.handled_reviews
    ]  # fmt: skip
    # DFE-05: a review held, its timer fires when the day is over and the policy schedules the next one: the clock
    # must stop there, or the next review would fire unseen on the way to the next step.
    steps += [
        (dt.date.fromisoformat(t["due_on"]).toordinal() + 1, FIRE, 0)
        for tid, t in council.timers.items()
        if t["kind"] == PROGRESS_REVIEW and t["status"] == PENDING and tid in agenda.handled_reviews
    ]
    reports = [
        (dt.date.fromisoformat(t["due_on"]).toordinal(), COMMISSIONER, 0)
        for tid, t in council.timers.items()
        if t["kind"] == "commissioner_report_due" and t["status"] == PENDING and tid not in agenda.handled_reports
    ]
    steps += sorted(reports)[:1]
    steps += [(day, DFE, seq) for seq, (day, _) in (agenda.responses | agenda.gaps).items()]
    return min(steps) if steps else None


def _act(
    engine: InterventionEngine,
    start: CouncilStart,
    agenda: _Agenda,
    world: WorldModel,
    rng: random.Random,
    pending: list[Fact],
    step: tuple[int, int, int],
) -> Fact | None:
    day, who, key = step
    code = start.code
    if who == FIRE:
        return None
    if who == SCRIPTED:
        fact = pending.pop(0)
        engine.record(code, fact, strict=False)
        if isinstance(fact, InspectionPublished):
            _replan(agenda, world, rng, code, fact)
        return fact
    if who == OFSTED:
        assert agenda.planned is not None
        fact = inspection_fact(agenda.planned)
        engine.record(code, fact)
        _replan(agenda, world, rng, code, fact)
        return fact
    if who == VISIT:
        _, action = agenda.visits.pop(0)
        return _try(engine, code, (action,), day, "ofsted_visit")
    council = _load(engine, code)
    if who == REVIEW:
        return _review(engine, code, council, agenda, world, rng, day, REVIEW_TIMERS[key])
    if who == RETURN:
        agenda.returns = None
        if agenda.grade == "inadequate":
            agenda.returns = add_months(day_of(day), RETURN_RETRY_MONTHS).toordinal()
            return None
        return _try(engine, code, (SERVICES_RETURNED,), day, "services_return")
    if who == COMMISSIONER:
        agenda.handled_reports |= {tid for tid, t in council.timers.items() if t["kind"] == "commissioner_report_due"}
        adm = world.dfe.recommends_alternative_delivery(rng, _is_open(council, "removal_from_council", day))
        return _try(engine, code, (REPORT_ADM if adm else REPORT_RETAIN,), day, "commissioner_report_due")
    _, kind = agenda.responses.pop(key) if key in agenda.responses else agenda.gaps.pop(key)
    return _try(engine, code, RESPONSES[kind].actions, day, kind)


def _review(
    engine: InterventionEngine, code: str, council: Council, agenda: _Agenda, world: WorldModel, rng: random.Random,
    day: int, kind: str,
) -> Fact | None:  # fmt: skip
    """DFE-05/DFE-04: the DfE reviews progress under a notice when its review timer (or the six-month check) falls
    due; insufficient progress at the record's rate (one draw, only when a notice is open)."""
    limit = day_of(day).isoformat()
    agenda.handled_reviews |= {tid for tid, t in council.timers.items() if t["kind"] == kind and t["due_on"] == limit}
    if council.states["instrument"] != "improvement_notice":
        return None
    insufficient = world.dfe.review_insufficient(rng)
    return _try(engine, code, (REVIEW_INSUFFICIENT if insufficient else REVIEW_SUFFICIENT,), day, kind)


def _try(engine: InterventionEngine, code: str, actions: Sequence[int], day: int, because: str) -> Fact | None:
    """Record the first of `actions` the rulebook allows now; none when the moment has passed."""
    for action in actions:
        fact = action_fact(action, day, because=because)
        try:
            engine.record(code, fact)
        except MoveNotAllowed:
            continue
        return fact
    return None


def _replan(agenda: _Agenda, world: WorldModel, rng: random.Random, code: str, fact: InspectionPublished) -> None:
    """After a report, Ofsted plans the next inspection from it (five draws)."""
    grade = effective_grade(fact.judgements.model_dump(mode="json", exclude_none=True))
    start = fact.fieldwork_start.toordinal()
    last = LastInspection(fact.occurred_on.toordinal(), era_of(start), grade) if grade else None
    published = fact.occurred_on.toordinal()
    agenda.planned = world.outcomes.next_inspection(rng, code, last, published)
    agenda.grade = grade
    agenda.visits = visits_between(world.switches, last, agenda.planned, published)


def _sync(agenda: _Agenda, council: Council, world: WorldModel, rng: random.Random, today: int) -> None:
    """Answer expectations opened since the last look (one draw each, in order); forget those no longer open."""
    for expectation in sorted(council.expectations.values(), key=lambda e: e["seq"]):
        if expectation["seq"] > agenda.seen:
            agenda.seen = expectation["seq"]
            due = dt.date.fromisoformat(expectation["due_on"]).toordinal() if expectation["due_on"] else None
            opened = dt.date.fromisoformat(expectation["opened_on"]).toordinal()
            _answer(agenda, world, rng, expectation["seq"], expectation["kind"], opened, due, today)
    still_open = {e["seq"] for e in council.expectations.values() if e["status"] == OPEN}
    agenda.responses = {seq: answer for seq, answer in agenda.responses.items() if seq in still_open}


def _answer(
    agenda: _Agenda, world: WorldModel, rng: random.Random, seq: int, kind: str, opened: int, due: int | None,
    today: int,
) -> None:  # fmt: skip
    response = RESPONSES.get(kind)
    if response is not None:
        agenda.responses[seq] = (response_day(opened, world.dfe.lag(rng, response.step), due, today), kind)


def _is_open(council: Council, kind: str, day: int) -> bool:
    limit = day_of(day).isoformat()
    return any(
        e["kind"] == kind and e["status"] == OPEN and (e["due_on"] is None or e["due_on"] >= limit)
        for e in council.expectations.values()
    )


def _load(engine: InterventionEngine, code: str) -> Council:
    council: Council = engine.store.repository.get(council_id(code))
    return council
