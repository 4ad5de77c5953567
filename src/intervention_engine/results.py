"""What the engine's commands answer: a recorded fact, a council's status, a fired timer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recorded:
    """What one `record` call stored (or, for a request id seen before, what that request stored then)."""

    council: str
    fact_type: str
    occurred_on: dt.date
    stage: str
    states: dict[str, str]
    events: int
    deviation: dict[str, Any] | None = None
    position: int | None = None  # where the fact's own event is in the log (see `subscribe`)
    request_id: str | None = None
    duplicate: bool = False
    inferred: tuple[str, ...] = ()  # steps the record implied, recorded before this fact and marked inferred

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "occurred_on": self.occurred_on.isoformat()}


@dataclass(frozen=True)
class CouncilStatus:
    """A council's position on the intervention path on a date."""

    council: str
    name: str
    as_of: dt.date | None
    stage: str
    states: dict[str, str]
    details: dict[str, Any]
    latest_inspection: dict[str, Any] | None
    pending_timers: list[dict[str, Any]]
    open_expectations: list[dict[str, Any]]
    deviations: list[dict[str, Any]]
    # Per region: "covered" (a source that keeps everything covers the day), "on_record" (a fact on record set the
    # state, but no source covers the day: it may have moved since) or "nothing_on_record" (DESIGN decision 12).
    record: dict[str, str] = field(default_factory=dict)
    uncertain: list[str] = field(default_factory=list)  # facts dated to a period holding the day (partial dates)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "as_of": self.as_of.isoformat() if self.as_of else None}


@dataclass(frozen=True)
class TimerFiring:
    """A timer fired by `advance_to` or `fire_due`."""

    council: str
    timer_id: str
    kind: str
    due_on: dt.date
    rule_id: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "due_on": self.due_on.isoformat()}
