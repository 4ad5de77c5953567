"""A council's stored events told in words, in the order they were recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..aggregates.expectations import describe_fact
from ..policies.rulebook import derive_stage


@dataclass(frozen=True)
class TimelineEntry:
    """One stored event of a council, in words."""

    occurred_on: str
    recorded_at: str
    event: str
    summary: str
    stage: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def timeline_entry(event: Any) -> TimelineEntry:
    name = type(event).__name__
    recorded_at = event.timestamp.isoformat(timespec="seconds")
    data = {k: v for k, v in event.__dict__.items() if k not in ("originator_id", "originator_version", "timestamp")}
    stage = derive_stage(data["states"]) if "states" in data else None
    return TimelineEntry(event.occurred_on, recorded_at, name, _summarise(name, data), stage, data)


def _summarise(name: str, data: Mapping[str, Any]) -> str:
    if name == "Registered":
        return f"registered {data['name']} ({data['code']})"
    if name == "FactRecorded":
        text = describe_fact(data["fact"])
        if data.get("deviation"):
            text += f" [deviation: {data['deviation']['expected']}]"
        return text
    if name == "TimerScheduled":
        return f"timer {data['kind']} scheduled, due {data['due_on']} ({data['rule_id']})"
    if name == "TimerRescheduled":
        return f"timer {data['timer_id']} moved to {data['due_on']}: {data['reason']}"
    if name == "TimerCancelled":
        return f"timer {data['timer_id']} cancelled: {data['reason']}"
    if name == "TimerFired":
        return f"timer {data['timer_id']} fell due"
    if name == "ExpectationOpened":
        due = f" by {data['due_on']}" if data.get("due_on") else ""
        return f"expected: {data['expected']}{due} ({data['rule_id']}, {data['policy_version']})"
    if name == "ExpectationClosed":
        text = f"expectation {data['expectation_id']} {data['status']}"
        return text + (f": {data['closed_by']}" if data.get("closed_by") else "")
    deviation = data["deviation"]
    return f"deviation ({deviation['rule_id']}): expected {deviation['expected']}; {deviation['happened']}"
