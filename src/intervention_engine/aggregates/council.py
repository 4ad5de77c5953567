"""The Council aggregate: one event stream per council for its whole life (DESIGN decisions 1, 3 and 6).

Public methods decide: they ask the rulebook and the policies in force, and raise before anything is recorded.
Private `@event` methods apply: they only assign fields, so replaying the stream never runs a guard, a policy or a
clock. Everything on the aggregate is plain JSON (strings, numbers, lists, dicts), so snapshots always work.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.domain import Aggregate, event

from ..calendar import WorkingDayCalendar
from ..errors import FactOutOfOrder, MoveNotAllowed
from ..facts import (
    AlternativeDeliveryDecided,
    CouncilRegistered,
    Fact,
    Framework,
    Grade,
    InspectionPublished,
    InspectionType,
    fact_to_data,
)
from ..policies.reactions import CouncilView, FiredTimer, Policy, Reactions
from ..policies.rulebook import Rulebook, Ruling, derive_stage

COUNCIL_NAMESPACE = uuid.UUID("5d0c6c1e-2f0b-4c55-9a39-8f3e0f7f6a11")

PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"

PoliciesOn = Callable[[dt.date], Sequence[Policy]]


def council_id(code: str) -> uuid.UUID:
    """The stream id of a council: uuid5 of its code, so every entry point finds the same stream."""
    return uuid.uuid5(COUNCIL_NAMESPACE, code.strip().upper())


def event_topic(name: str) -> str:
    """The stable stored topic of a Council event (never the module path, so classes can move)."""
    return f"intervention_engine:Council.{name}"


class Council(Aggregate):
    """A council's children's services on the intervention path."""

    TOPIC = "intervention_engine:Council"

    class Created(Aggregate.Created):
        TOPIC = event_topic("Created")

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
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
        self.timers: dict[str, dict[str, Any]] = {}
        self.timer_count = 0
        self.fact_count = 1
        self.deviations: list[dict[str, Any]] = []

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
    ) -> Ruling:
        """Judge `fact` by the rulebook, record it, then record the timers the policies in force ask for."""
        occurred_on = fact.occurred_on.isoformat()
        if occurred_on < self.last_occurred_on:
            raise FactOutOfOrder(self.code, fact.describe(), occurred_on, self.last_occurred_on)
        details = self._decide_details(fact)
        ruling = rulebook.rule(fact, self.states, {**self.details, **details})
        if not ruling.legal and strict:
            raise MoveNotAllowed(
                self.code,
                fact.describe(),
                occurred_on,
                self.states,
                ruling.refused,
                rulebook.legal_moves(self.states),
            )
        deviation = None
        if not ruling.legal:
            deviation = {
                "occurred_on": occurred_on,
                "fact_type": fact.describe(),
                "rule_id": "LIFECYCLE",
                "expected": "; ".join(f"{r}: {why}" for r, why in ruling.refused.items()),
                "happened": f"{fact.describe()} recorded in lenient mode",
            }
        self._apply_fact(
            fact=fact_to_data(fact),
            occurred_on=occurred_on,
            states=ruling.states,
            details=details,
            deviation=deviation,
        )
        for policy in policies:
            self._react(policy.react_to_fact(self.view(), fact, calendar), policy.version, occurred_on)
        return ruling

    def fire_due(self, until: dt.date, *, policies_on: PoliciesOn, calendar: WorkingDayCalendar) -> list[FiredTimer]:
        """Fire every pending timer due on or before `until`, in date order, with the reactions they bring."""
        fired: list[FiredTimer] = []
        while True:
            due = self.due_timers(until)
            if not due:
                return fired
            timer = due[0]
            if self.fire_timer(timer.timer_id, policies=policies_on(timer.due_on), calendar=calendar):
                fired.append(timer)

    def fire_timer(self, timer_id: str, *, policies: Sequence[Policy], calendar: WorkingDayCalendar) -> bool:
        """Fire one timer; a timer already fired or cancelled ignores it (DESIGN decision 6: idempotent)."""
        timer = self.timers.get(timer_id)
        if timer is None or timer["status"] != PENDING:
            return False
        self._fire_timer(timer_id=timer_id, occurred_on=timer["due_on"])
        fired = FiredTimer(timer_id, timer["kind"], dt.date.fromisoformat(timer["due_on"]), timer["rule_id"])
        for policy in policies:
            self._react(policy.react_to_timer(self.view(), fired, calendar), policy.version, timer["due_on"])
        return True

    # ----------------------------------------------------------------------------------------------------------
    # Queries.

    @property
    def stage(self) -> str:
        return derive_stage(self.states)

    def pending_timers(self) -> dict[str, dict[str, Any]]:
        return {tid: t for tid, t in self.timers.items() if t["status"] == PENDING}

    def due_timers(self, until: dt.date) -> list[FiredTimer]:
        limit = until.isoformat()
        due = [
            FiredTimer(tid, t["kind"], dt.date.fromisoformat(t["due_on"]), t["rule_id"])
            for tid, t in self.timers.items()
            if t["status"] == PENDING and t["due_on"] <= limit
        ]
        return sorted(due, key=lambda timer: (timer.due_on, self.timers[timer.timer_id]["seq"]))

    def view(self) -> CouncilView:
        return CouncilView(self.code, dict(self.states), list(self.inspections), self.pending_timers())

    # ----------------------------------------------------------------------------------------------------------
    # Decisions that the stored event carries, so replay never recomputes them.

    def _decide_details(self, fact: Fact) -> dict[str, Any]:
        if isinstance(fact, InspectionPublished):
            return {"inspection": self._inspection_record(fact)}
        if isinstance(fact, AlternativeDeliveryDecided):
            return {"delivery_form": fact.form.value, "provider": fact.provider}
        return {}

    def _inspection_record(self, fact: InspectionPublished) -> dict[str, Any]:
        framework = fact.resolved_framework
        return {
            "published_on": fact.occurred_on.isoformat(),
            "fieldwork_start": fact.fieldwork_start.isoformat(),
            "fieldwork_end": fact.fieldwork_end.isoformat(),
            "framework": framework.value,
            "inspection_type": (fact.inspection_type or self._inspection_type(framework)).value,
            "judgements": fact.judgements.model_dump(mode="json", exclude_none=True),
        }

    def _inspection_type(self, framework: Framework) -> InspectionType:
        """ILACS-04/09: the type follows the framework and the previous overall grade."""
        previous = self.inspections[-1]["judgements"].get("overall") if self.inspections else None
        if framework is Framework.pre_sif:
            return InspectionType.pre_sif
        if framework is Framework.sif:
            return InspectionType.sif_reinspection if previous == Grade.inadequate else InspectionType.sif
        good = previous in (Grade.good.value, Grade.outstanding.value)
        return InspectionType.short if good else InspectionType.standard

    def _react(self, reactions: Reactions, policy_version: str, occurred_on: str) -> None:
        for change in reactions.change:
            for timer_id, timer in sorted(self.pending_timers().items(), key=lambda item: item[1]["seq"]):
                if timer["kind"] != change.kind:
                    continue
                if change.due_on is None:
                    self._cancel_timer(timer_id=timer_id, occurred_on=occurred_on, reason=change.reason)
                elif change.due_on.isoformat() != timer["due_on"]:
                    self._reschedule_timer(
                        timer_id=timer_id,
                        due_on=change.due_on.isoformat(),
                        occurred_on=occurred_on,
                        reason=change.reason,
                    )
        for request in reactions.schedule:
            seq = self.timer_count + 1
            self._schedule_timer(
                timer_id=f"t{seq}-{request.kind}",
                seq=seq,
                kind=request.kind,
                due_on=request.due_on.isoformat(),
                rule_id=request.rule_id,
                policy_version=policy_version,
                occurred_on=occurred_on,
            )

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
        self.states = states
        self.last_occurred_on = occurred_on
        self.fact_count += 1
        inspection = details.get("inspection")
        if inspection is not None:
            self.inspections.append(inspection)
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
