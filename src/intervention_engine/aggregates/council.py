"""The Council aggregate: one event stream per council for its whole life (DESIGN decisions 1, 3 and 6).

Public methods decide: they ask the rulebook and the policies in force, and raise before anything is recorded.
Private `@event` methods apply: they only assign fields, so replaying the stream never runs a guard, a policy or a
clock. Everything on the aggregate is plain JSON (strings, numbers, lists, dicts), so snapshots always work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ..calendar import WorkingDayCalendar
from ..errors import FactOutOfOrder, MoveNotAllowed
from ..facts import TRIGGERS, CouncilRegistered, DatePrecision, Fact, fact_to_data
from ..policies.inference import infer
from ..policies.reactions import CouncilView, FiredTimer, Policy
from ..policies.rulebook import Rulebook, Ruling, derive_stage
from .coverage import covered, initial_coverage, partial_date
from .decisions import decide_details, expectation_deviation, illegal_move_deviation
from .expectations import MISSED, OPEN, UNVERIFIED, describe_fact
from .identity import council_id as council_id
from .identity import event_topic as event_topic
from .reacting import EXPECTATION_DEADLINE as EXPECTATION_DEADLINE
from .reacting import react, settle_expectations

PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"

PoliciesOn = Callable[[dt.date], Sequence[Policy]]


class Council(Aggregate):
    """A council's children's services on the intervention path."""

    TOPIC = "intervention_engine:Council"

    class Created(Aggregate.Created):
        TOPIC = event_topic("Created")

    @staticmethod
    def create_id(code: str) -> UUID:
        return council_id(code)

    @event("Registered", topic=event_topic("Registered"))
    def __init__(self, code: str, name: str, occurred_on: str, fact: dict[str, Any], states: dict[str, str]) -> None:
        self.code = code
        self.name = name
        self.ons_code: str | None = fact.get("ons_code")
        self.registered_on = occurred_on
        self.last_occurred_on = occurred_on
        self.states = states
        self.details: dict[str, Any] = {}
        self.inspections: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        self.timers: dict[str, dict[str, Any]] = {}
        self.timer_count = 0
        self.expectations: dict[str, dict[str, Any]] = {}
        self.expectation_count = 0
        self.fact_count = 1
        self.deviations: list[dict[str, Any]] = []
        self.coverage: list[dict[str, Any]] = initial_coverage(fact, occurred_on, list(states))
        self.partial_dates: list[dict[str, Any]] = []
        self.recorded_regions: list[str] = []

    # ----------------------------------------------------------------------------------------------------------
    # Commands: decide once.

    @classmethod
    def register(cls, fact: CouncilRegistered, rulebook: Rulebook) -> Council:
        return cls(
            code=fact.code,
            name=fact.name,
            occurred_on=fact.occurred_on.isoformat(),
            fact=fact_to_data(fact),
            states=rulebook.initial_states(),
        )

    def record(
        self,
        fact: Fact,
        *,
        rulebook: Rulebook,
        policies: Sequence[Policy],
        calendar: WorkingDayCalendar,
        strict: bool = True,
        infer_missing: bool = True,
    ) -> Ruling:
        """Judge `fact` by the rulebook, record it, settle open expectations, then apply the policies' reactions.

        In lenient mode a refused fact is first read against the inference rules (`policies/inference.py`): the
        steps the record implies are recorded before it, marked as inferred."""
        occurred_on = fact.occurred_on.isoformat()
        if occurred_on < self.last_occurred_on:
            raise FactOutOfOrder(self.code, fact.describe(), occurred_on, self.last_occurred_on)
        details = self._decide_details(fact)
        ruling = rulebook.rule(fact, self.states, {**self.details, **details})
        if not ruling.legal and not strict and infer_missing:
            inference = infer(fact, self.states, self.details)
            if inference is not None:
                inferred = tuple(describe_fact(fact_to_data(step)) for step in inference.before)
                for step in inference.before:
                    self.record(
                        step, rulebook=rulebook, policies=policies, calendar=calendar, strict=False, infer_missing=False
                    )
                fact = inference.fact
                details = self._decide_details(fact)
                ruling = replace(rulebook.rule(fact, self.states, {**self.details, **details}), inferred=inferred)
        if not ruling.legal and strict:
            raise MoveNotAllowed(
                self.code,
                fact.describe(),
                occurred_on,
                self.states,
                ruling.refused,
                rulebook.legal_facts(self.states, fact),
            )
        data = fact_to_data(fact)
        deviation = None if ruling.legal else illegal_move_deviation(data, occurred_on, ruling.refused)
        self._apply_fact(fact=data, occurred_on=occurred_on, states=ruling.states, details=details, deviation=deviation)
        settle_expectations(self, data, occurred_on)
        for policy in policies:
            react(
                self, policy.react_to_fact(self.view(), fact, calendar), policy.version, occurred_on, rulebook, calendar
            )
        return ruling

    def fire_due(
        self, until: dt.date, *, policies_on: PoliciesOn, rulebook: Rulebook, calendar: WorkingDayCalendar
    ) -> list[FiredTimer]:
        """Fire every pending timer due on or before `until`, in date order, with the reactions they bring."""
        fired: list[FiredTimer] = []
        while True:
            due = self.due_timers(until)
            if not due:
                return fired
            timer = due[0]
            policies = policies_on(timer.due_on)
            if self.fire_timer(timer.timer_id, policies=policies, rulebook=rulebook, calendar=calendar):
                fired.append(timer)

    def fire_timer(
        self, timer_id: str, *, policies: Sequence[Policy], rulebook: Rulebook, calendar: WorkingDayCalendar
    ) -> bool:
        """Fire one timer; a timer already fired or cancelled ignores it (DESIGN decision 6: idempotent)."""
        timer = self.timers.get(timer_id)
        if timer is None or timer["status"] != PENDING:
            return False
        due_on = timer["due_on"]
        self._fire_timer(timer_id=timer_id, occurred_on=due_on)
        expectation = self.expectations.get(timer.get("subject") or "")
        if timer["kind"] == EXPECTATION_DEADLINE and expectation and expectation["status"] == OPEN:
            regions = self._regions_of(expectation, rulebook)
            if covered(self._coverage(), regions, expectation["opened_on"], due_on):
                how, happened = MISSED, f"nothing of the kind by {due_on}"
            else:  # DESIGN decision 12: the record's silence there is not evidence that nothing happened
                how = UNVERIFIED
                happened = f"nothing on record by {due_on}; no source covers {', '.join(regions)} over that span"
            self._close_expectation(
                expectation_id=timer["subject"],
                status=how,
                occurred_on=due_on,
                deviation=expectation_deviation(expectation, how, happened, due_on),
            )
        fired = FiredTimer(timer_id, timer["kind"], dt.date.fromisoformat(due_on), timer["rule_id"])
        for policy in policies:
            react(self, policy.react_to_timer(self.view(), fired, calendar), policy.version, due_on, rulebook, calendar)
        return True

    # ----------------------------------------------------------------------------------------------------------
    # Queries.

    @property
    def stage(self) -> str:
        return derive_stage(self.states)

    def pending_timers(self) -> dict[str, dict[str, Any]]:
        return {tid: t for tid, t in self.timers.items() if t["status"] == PENDING}

    def open_expectations(self) -> dict[str, dict[str, Any]]:
        return {eid: e for eid, e in self.expectations.items() if e["status"] == OPEN}

    def due_timers(self, until: dt.date) -> list[FiredTimer]:
        limit = until.isoformat()
        due = [
            FiredTimer(tid, t["kind"], dt.date.fromisoformat(t["due_on"]), t["rule_id"])
            for tid, t in self.timers.items()
            if t["status"] == PENDING and t["due_on"] <= limit
        ]
        return sorted(due, key=lambda timer: (timer.due_on, self.timers[timer.timer_id]["seq"]))

    def _coverage(self) -> list[dict[str, Any]]:
        """What the council's sources cover (councils snapshotted before coverage existed kept their whole record)."""
        found: list[dict[str, Any]] | None = self.__dict__.get("coverage")
        if found is None:
            return initial_coverage({}, self.registered_on, list(self.states))
        return found

    def coverage_on(self, day: str) -> dict[str, bool]:
        """Per region, whether a source that keeps everything covers `day`."""
        return {region: covered(self._coverage(), [region], day, day) for region in self.states}

    @staticmethod
    def _regions_of(expectation: Mapping[str, Any], rulebook: Rulebook) -> list[str]:
        """The regions an expectation is about: those the facts that would meet it move."""
        regions: list[str] = []
        for pattern in expectation["meets"]:
            for region in rulebook.regions_moved_by(TRIGGERS.get(str(pattern.get("type")), "")):
                if region not in regions:
                    regions.append(region)
        return regions or list(rulebook.initial_states())

    def view(self) -> CouncilView:
        return CouncilView(
            self.code,
            dict(self.states),
            list(self.inspections),
            self.pending_timers(),
            dict(self.details),
            list(self.visits),
            [e["kind"] for e in self.open_expectations().values()],
        )

    # ----------------------------------------------------------------------------------------------------------
    # Deciding: the details a fact brings (its expectations and the policies' reactions: `reacting.py`).

    def _decide_details(self, fact: Fact) -> dict[str, Any]:
        details = decide_details(fact, self.details, self.inspections)
        if fact.date_precision is not DatePrecision.day:
            details["partial_date"] = partial_date(fact)
        return details

    # ----------------------------------------------------------------------------------------------------------
    # Events: apply always, assign only.

    @event("FactRecorded", topic=event_topic("FactRecorded"))
    def _apply_fact(
        self,
        fact: dict[str, Any],
        occurred_on: str,
        states: dict[str, str],
        details: dict[str, Any],
        deviation: dict[str, Any] | None,
    ) -> None:
        moved = [region for region, state in states.items() if self.states.get(region) != state]
        if moved:  # regions whose state a fact on record set (status: on record, not nothing on record)
            known = self.__dict__.get("recorded_regions", [])
            self.recorded_regions = known + [region for region in moved if region not in known]
        self.states = states
        self.last_occurred_on = occurred_on
        self.fact_count += 1
        if "partial_date" in details:
            self.partial_dates = [*self.__dict__.get("partial_dates", []), details["partial_date"]]
        if "inspection" in details:
            self.inspections.append(details["inspection"])
        elif "visit" in details:
            self.visits.append(details["visit"])
        if "coverage" in details:
            self.coverage = [*self._coverage(), details["coverage"]]
        else:
            self.details.update(details)
        if deviation is not None:
            self.deviations.append(deviation)

    @event("TimerScheduled", topic=event_topic("TimerScheduled"))
    def _schedule_timer(
        self,
        timer_id: str,
        seq: int,
        kind: str,
        due_on: str,
        rule_id: str,
        policy_version: str,
        occurred_on: str,
        subject: str | None = None,
    ) -> None:
        self.timer_count = seq
        self.timers[timer_id] = {
            "kind": kind,
            "due_on": due_on,
            "rule_id": rule_id,
            "policy_version": policy_version,
            "status": PENDING,
            "scheduled_on": occurred_on,
            "closed_on": None,
            "seq": seq,
            "subject": subject,
        }

    @event("TimerFired", topic=event_topic("TimerFired"))
    def _fire_timer(self, timer_id: str, occurred_on: str) -> None:
        self.timers[timer_id] = {**self.timers[timer_id], "status": FIRED, "closed_on": occurred_on}
        self.last_occurred_on = max(self.last_occurred_on, occurred_on)

    @event("TimerCancelled", topic=event_topic("TimerCancelled"))
    def _cancel_timer(self, timer_id: str, occurred_on: str, reason: str) -> None:
        self.timers[timer_id] = {**self.timers[timer_id], "status": CANCELLED, "closed_on": occurred_on}

    @event("TimerRescheduled", topic=event_topic("TimerRescheduled"))
    def _reschedule_timer(self, timer_id: str, due_on: str, occurred_on: str, reason: str) -> None:
        self.timers[timer_id] = {**self.timers[timer_id], "due_on": due_on}

    @event("ExpectationOpened", topic=event_topic("ExpectationOpened"))
    def _open_expectation(
        self,
        expectation_id: str,
        seq: int,
        kind: str,
        rule_id: str,
        policy_version: str,
        expected: str,
        due_on: str | None,
        meets: list[dict[str, Any]],
        contradicts: list[dict[str, Any]],
        occurred_on: str,
    ) -> None:
        self.expectation_count = seq
        self.expectations[expectation_id] = {
            "kind": kind,
            "rule_id": rule_id,
            "policy_version": policy_version,
            "expected": expected,
            "due_on": due_on,
            "meets": meets,
            "contradicts": contradicts,
            "status": OPEN,
            "opened_on": occurred_on,
            "closed_on": None,
            "closed_by": None,
            "seq": seq,
        }

    @event("ExpectationClosed", topic=event_topic("ExpectationClosed"))
    def _close_expectation(
        self,
        expectation_id: str,
        status: str,
        occurred_on: str,
        deviation: dict[str, Any] | None,
        closed_by: str | None = None,
    ) -> None:
        self.expectations[expectation_id] = {
            **self.expectations[expectation_id],
            "status": status,
            "closed_on": occurred_on,
            "closed_by": closed_by,
        }
        if deviation is not None:
            self.deviations.append(deviation)

    @event("DeviationFound", topic=event_topic("DeviationFound"))
    def _record_deviation(self, occurred_on: str, deviation: dict[str, Any]) -> None:
        self.deviations.append(deviation)


def _deviation_found_v1_v2(state: dict[str, Any]) -> None:
    """`DeviationFound` events stored before they carried their own `occurred_on` (which the as-of fold reads)
    take it from the deviation they record."""
    state["occurred_on"] = state["deviation"]["occurred_on"]


Council.DeviationFound.class_version = 2  # type: ignore[attr-defined]
Council.DeviationFound.upcast_v1_v2 = staticmethod(_deviation_found_v1_v2)  # type: ignore[attr-defined]
