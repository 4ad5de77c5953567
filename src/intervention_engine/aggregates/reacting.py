"""How a council turns what the policies say into events: open expectations settled by a fact (met or
contradicted), reactions to a fact or a fired timer (timers scheduled, moved or cancelled, expectations opened or
withdrawn, deviations found, facts the policy records). Decided here, applied by the `Council`'s own events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from ..calendar import WorkingDayCalendar
from ..facts import Fact
from ..policies.reactions import Policy, Reactions
from ..policies.rulebook import Rulebook
from .decisions import expectation_deviation
from .expectations import CONTRADICTED, MET, WITHDRAWN, describe_fact, matches_any

EXPECTATION_DEADLINE = "expectation_deadline"  # the kind of a timer that marks an expectation's deadline


class ReactingCouncil(Protocol):
    """What deciding needs of the `Council` aggregate: its open timers and expectations, and its events."""

    timer_count: int
    expectation_count: int

    def pending_timers(self) -> dict[str, dict[str, Any]]: ...

    def open_expectations(self) -> dict[str, dict[str, Any]]: ...

    def record(
        self, fact: Fact, *, rulebook: Rulebook, policies: Sequence[Policy], calendar: WorkingDayCalendar, strict: bool
    ) -> Any: ...

    def _schedule_timer(
        self,
        *,
        timer_id: str,
        seq: int,
        kind: str,
        due_on: str,
        rule_id: str,
        policy_version: str,
        occurred_on: str,
        subject: str | None,
    ) -> None: ...

    def _cancel_timer(self, *, timer_id: str, occurred_on: str, reason: str) -> None: ...

    def _reschedule_timer(self, *, timer_id: str, due_on: str, occurred_on: str, reason: str) -> None: ...

    def _open_expectation(
        self,
        *,
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
    ) -> None: ...

    def _close_expectation(
        self,
        *,
        expectation_id: str,
        status: str,
        occurred_on: str,
        deviation: dict[str, Any] | None,
        closed_by: str | None = None,
    ) -> None: ...

    def _record_deviation(self, *, occurred_on: str, deviation: dict[str, Any]) -> None: ...


def settle_expectations(council: ReactingCouncil, fact: dict[str, Any], occurred_on: str) -> None:
    for expectation_id, expectation in sorted(council.open_expectations().items(), key=lambda i: i[1]["seq"]):
        if matches_any(expectation["contradicts"], fact):
            deviation = expectation_deviation(expectation, CONTRADICTED, describe_fact(fact), occurred_on)
            status = CONTRADICTED
        elif matches_any(expectation["meets"], fact):
            deviation, status = None, MET
        else:
            continue
        council._close_expectation(
            expectation_id=expectation_id,
            status=status,
            occurred_on=occurred_on,
            deviation=deviation,
            closed_by=describe_fact(fact),
        )
        cancel_deadline(council, expectation_id, occurred_on, f"expectation {status}")


def cancel_deadline(council: ReactingCouncil, expectation_id: str, occurred_on: str, reason: str) -> None:
    for timer_id, timer in council.pending_timers().items():
        if timer.get("subject") == expectation_id:
            council._cancel_timer(timer_id=timer_id, occurred_on=occurred_on, reason=reason)


def react(
    council: ReactingCouncil,
    reactions: Reactions,
    version: str,
    occurred_on: str,
    rulebook: Rulebook,
    calendar: WorkingDayCalendar,
) -> None:
    version = reactions.version or version
    for change in reactions.change:
        _change_timers(council, change.kind, change.due_on, change.reason, occurred_on)
    for request in reactions.schedule:
        _schedule(council, request.kind, request.due_on, request.rule_id, version, occurred_on)
    for kind in reactions.withdraw:
        for expectation_id, expectation in council.open_expectations().items():
            if expectation["kind"] == kind:
                council._close_expectation(
                    expectation_id=expectation_id,
                    status=WITHDRAWN,
                    occurred_on=occurred_on,
                    deviation=None,
                    closed_by="no longer applies",
                )
                cancel_deadline(council, expectation_id, occurred_on, "expectation withdrawn")
    for wanted in reactions.expect:
        _expect(council, wanted, version, occurred_on)
    for found in reactions.deviations:
        council._record_deviation(
            occurred_on=occurred_on,
            deviation={
                "occurred_on": occurred_on,
                "kind": found.kind,
                "how": "found",
                "rule_id": found.rule_id,
                "policy_version": version,
                "expected": found.expected,
                "happened": found.happened,
            },
        )
    for fact in reactions.record:
        council.record(fact, rulebook=rulebook, policies=(), calendar=calendar, strict=False)


def _change_timers(council: ReactingCouncil, kind: str, due_on: dt.date | None, reason: str, occurred_on: str) -> None:
    for timer_id, timer in sorted(council.pending_timers().items(), key=lambda item: item[1]["seq"]):
        if timer["kind"] != kind:
            continue
        if due_on is None:
            council._cancel_timer(timer_id=timer_id, occurred_on=occurred_on, reason=reason)
        elif due_on.isoformat() != timer["due_on"]:
            council._reschedule_timer(
                timer_id=timer_id, due_on=due_on.isoformat(), occurred_on=occurred_on, reason=reason
            )


def _schedule(
    council: ReactingCouncil,
    kind: str,
    due_on: dt.date,
    rule_id: str,
    version: str,
    occurred_on: str,
    subject: str | None = None,
) -> None:
    seq = council.timer_count + 1
    council._schedule_timer(
        timer_id=f"t{seq}-{kind}",
        seq=seq,
        kind=kind,
        due_on=due_on.isoformat(),
        rule_id=rule_id,
        policy_version=version,
        occurred_on=occurred_on,
        subject=subject,
    )


def _expect(council: ReactingCouncil, wanted: Any, version: str, occurred_on: str) -> None:
    seq = council.expectation_count + 1
    expectation_id = f"e{seq}-{wanted.kind}"
    council._open_expectation(
        expectation_id=expectation_id,
        seq=seq,
        kind=wanted.kind,
        rule_id=wanted.rule_id,
        policy_version=version,
        expected=wanted.expected,
        due_on=wanted.due_on.isoformat() if wanted.due_on else None,
        meets=[dict(p) for p in wanted.meets],
        contradicts=[dict(p) for p in wanted.contradicts],
        occurred_on=occurred_on,
    )
    if wanted.due_on is not None:
        _schedule(council, EXPECTATION_DEADLINE, wanted.due_on, wanted.rule_id, version, occurred_on, expectation_id)
