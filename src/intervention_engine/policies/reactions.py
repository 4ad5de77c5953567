"""What a policy asks for in answer to a fact or a timer: timers to schedule, cancel or reschedule.

Policies are pure: they read a `CouncilView` and a calendar and return `Reactions`; the aggregate turns those into
timer events. Every timer records the rule id and the policy version that asked for it (DESIGN decision 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..calendar import WorkingDayCalendar
from ..facts import Fact


@dataclass(frozen=True)
class TimerRequest:
    """Schedule a timer of `kind` due on `due_on`, because of `rule_id`."""

    kind: str
    due_on: dt.date
    rule_id: str


@dataclass(frozen=True)
class TimerChange:
    """Cancel (when `due_on` is None) or move every pending timer of `kind`."""

    kind: str
    reason: str
    due_on: dt.date | None = None


@dataclass(frozen=True)
class ExpectationRequest:
    """Open an expectation: a fact matching one of `meets` should happen by `due_on` (DESIGN decision 9).

    Patterns are plain data (field: value pairs a fact must have), so the expectation can be stored in an event.
    A fact matching a `contradicts` pattern, or the deadline passing first, turns it into a deviation.
    """

    kind: str
    rule_id: str
    expected: str
    due_on: dt.date | None
    meets: tuple[Mapping[str, Any], ...]
    contradicts: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class DeviationRequest:
    """Record a deviation found while judging a fact (for checks that need no open expectation)."""

    kind: str
    rule_id: str
    expected: str
    happened: str


@dataclass(frozen=True)
class Reactions:
    """Everything a policy asks for in answer to one fact or one timer falling due."""

    schedule: Sequence[TimerRequest] = ()
    change: Sequence[TimerChange] = ()
    expect: Sequence[ExpectationRequest] = ()
    withdraw: Sequence[str] = ()  # kinds of open expectation that no longer apply
    deviations: Sequence[DeviationRequest] = ()
    record: Sequence[Fact] = ()  # facts that follow automatically from a timer (for example DFE-08)
    version: str | None = None  # the policy version to record, when it differs from `Policy.version`


@dataclass(frozen=True)
class CouncilView:
    """What a policy may read about a council: its states after the fact, its history and pending timers."""

    code: str
    states: Mapping[str, str]
    inspections: Sequence[Mapping[str, Any]]
    pending: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    visits: Sequence[Mapping[str, Any]] = ()
    open_expectations: Sequence[str] = ()  # kinds

    def pending_of(self, kind: str) -> list[Mapping[str, Any]]:
        return [timer for timer in self.pending.values() if timer["kind"] == kind]

    @property
    def latest_inspection(self) -> Mapping[str, Any] | None:
        return self.inspections[-1] if self.inspections else None

    @property
    def previous_inspection(self) -> Mapping[str, Any] | None:
        return self.inspections[-2] if len(self.inspections) > 1 else None


@dataclass(frozen=True)
class FiredTimer:
    """A timer as it fires: its id, kind and due date."""

    timer_id: str
    kind: str
    due_on: dt.date
    rule_id: str


class Policy(Protocol):
    """A versioned regime: reactions to facts and to timers falling due (DESIGN decision 8)."""

    version: str

    def react_to_fact(self, council: CouncilView, fact: Fact, calendar: WorkingDayCalendar) -> Reactions: ...

    def react_to_timer(self, council: CouncilView, timer: FiredTimer, calendar: WorkingDayCalendar) -> Reactions: ...
