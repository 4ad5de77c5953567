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
class Reactions:
    schedule: Sequence[TimerRequest] = ()
    change: Sequence[TimerChange] = ()

    def __bool__(self) -> bool:
        return bool(self.schedule or self.change)


@dataclass(frozen=True)
class CouncilView:
    """What a policy may read about a council: its states after the fact, its history and pending timers."""

    code: str
    states: Mapping[str, str]
    inspections: Sequence[Mapping[str, Any]]
    pending: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def pending_of(self, kind: str) -> list[Mapping[str, Any]]:
        return [timer for timer in self.pending.values() if timer["kind"] == kind]


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
