"""What the HTTP API answers with, beyond the engine's own results.

The endpoints answer with the engine's dataclasses themselves (`Recorded`, `CouncilStatus`, `TimelineEntry`,
`AuditEntry`, `DueTimer`, `NationalCount`, `RecordedEvent`): pydantic validates and documents them as they are, so
the API never restates or computes anything. The models here are the few answers that exist only over HTTP.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..projections.subscriptions import RecordedEvent


class CouncilOut(BaseModel):
    code: str
    name: str


class EventPage(BaseModel):
    events: list[RecordedEvent]
    last_position: int


class WhoAmI(BaseModel):
    actor: str
    role: str


class Health(BaseModel):
    status: Literal["ok"]
    database: str | None = Field(description="the store this process serves (shown to an admin's token only)")
    scheduler: Literal["leader", "standby", "off"]
    write_conflicts: int
    recorded_facts: int = Field(description="facts this process recorded over HTTP since it started")
    recorded_batches: int = Field(description="how many batches (transactions, mostly) they were recorded in")
    recorded_cpu_seconds: float = Field(description="CPU seconds spent deciding and saving them")
    saves: int = Field(description="transactions this process's writer engine saved (facts and timers)")
    save_seconds: float = Field(description="wall-clock seconds those took (encode, insert, commit)")
    save_cpu_seconds: float = Field(description="CPU seconds of those")


class Ready(BaseModel):
    status: Literal["ready"]
    last_position: int = Field(description="the position of the latest event in the log")
