"""A council's audit trail: every stored event with who recorded it, under which request, and when.

The actor and the request id travel in each event's `metadata` (set by `InterventionEngine.record` and by the
scheduler's firings); replay never reads them, so they change nothing but what this trail can tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .timeline import TimelineEntry, timeline_entry


@dataclass(frozen=True)
class AuditEntry:
    """One stored event of a council: its version in the stream, when it was recorded and by whom."""

    version: int
    recorded_at: str
    occurred_on: str
    event: str
    summary: str
    actor: str | None
    request_id: str | None
    trace_id: str | None = None  # the caller's X-Request-ID, when it sent one

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def audit_entry(event: Any, entry: TimelineEntry | None = None) -> AuditEntry:
    """The event's audit line; `entry`, its timeline entry if the caller already has it."""
    entry = entry or timeline_entry(event)
    metadata = event.__dict__.get("metadata") or {}
    return AuditEntry(
        event.originator_version,
        event.timestamp.isoformat(),
        entry.occurred_on,
        entry.event,
        entry.summary,
        metadata.get("actor"),
        metadata.get("request_id"),
        metadata.get("trace_id"),
    )
