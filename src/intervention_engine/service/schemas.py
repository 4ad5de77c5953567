"""What the HTTP API answers with: pydantic models of the engine's results, for validation and the OpenAPI spec.

Each is built from the engine's own dataclass (`from_result`), so the API never computes anything itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_result(cls, result: Any) -> Any:
        return cls.model_validate(result.__dict__)


class RecordedOut(_Out):
    """What one fact recorded: the council's stage and states afterwards, and where its events are in the log."""

    council: str
    fact_type: str
    occurred_on: dt.date
    stage: str
    states: dict[str, str]
    events: int
    deviation: dict[str, Any] | None = None
    position: int | None = None
    request_id: str | None = None
    duplicate: bool = False


class StatusOut(_Out):
    """A council's position on the intervention path, now or at the end of `as_of`."""

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


class TimelineEntryOut(_Out):
    occurred_on: str
    recorded_at: str
    event: str
    summary: str
    stage: str | None = None
    data: dict[str, Any]


class AuditEntryOut(_Out):
    version: int
    recorded_at: str
    occurred_on: str
    event: str
    summary: str
    actor: str | None
    request_id: str | None


class DueTimerOut(_Out):
    council: str
    council_name: str
    timer_id: str
    kind: str
    due_on: dt.date
    rule_id: str
    policy_version: str


class NationalCountOut(_Out):
    on: dt.date
    councils: int
    stages: dict[str, int]
    grades: dict[str, int]


class CouncilOut(BaseModel):
    code: str
    name: str


class EventOut(_Out):
    """One recorded event with its position in the log (resume a subscription after it)."""

    position: int
    council: str
    version: int
    event: str
    occurred_on: str
    recorded_at: str
    summary: str
    stage: str | None
    actor: str | None
    request_id: str | None
    data: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventOut]
    last_position: int


class WhoAmI(BaseModel):
    actor: str
    role: str


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    scheduler: Literal["leader", "standby", "off"]
    last_position: int
    write_conflicts: int
    recorded_facts: int = Field(description="facts this process recorded over HTTP since it started")
    recorded_batches: int = Field(description="how many batches (transactions, mostly) they were recorded in")
