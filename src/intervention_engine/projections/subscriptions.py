"""Subscriptions: every recorded event, in the order the store recorded them, from a position onwards.

The position is the event's notification id in eventsourcing's application log: it only grows, and the log
commits in position order (eventsourcing serialises inserts on SQLite and PostgreSQL), so a host that remembers the
position of the last event it handled resumes after a restart without missing or repeating one. Subscriptions read
the log directly (no engine lock) and poll it; they work the same on every backend.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self

from eventsourcing.persistence import Notification

from ..aggregates.council import event_topic
from ..persistence.log import LogFollower
from ..persistence.store import CouncilStore
from .audit import audit_entry
from .timeline import timeline_entry

_BATCH = 500
MAX_POSITION = 2**63 - 1  # positions are 64-bit signed integers in every store


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event as a subscriber sees it: its position in the log, its council and what it says."""

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

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class EventSubscription(Iterator[RecordedEvent]):
    """Iterates over recorded events after `after`, waiting for new ones until stopped (a context manager too).

    `poll()` returns what is there now without waiting, for callers that wait in their own way (the SSE stream).
    """

    def __init__(
        self, store: CouncilStore, after: int = 0, *, poll_interval: float = 0.2, codes: CouncilCodes | None = None
    ) -> None:
        if not 0 <= after <= MAX_POSITION:
            raise ValueError(f"a position is never negative nor above {MAX_POSITION} (got {after})")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be a positive number of seconds")
        self._store = store
        self.position = after
        self.poll_interval = poll_interval
        self._buffer: deque[RecordedEvent] = deque()
        self._stopped = threading.Event()
        self._codes = codes or CouncilCodes(store)

    def poll(self, limit: int = _BATCH) -> list[RecordedEvent]:
        """The events recorded after the current position (at most `limit`), advancing past them."""
        if self._buffer:
            taken = [self._buffer.popleft() for _ in range(min(limit, len(self._buffer)))]
        else:
            taken = self._page(self.position, limit)
        if taken:
            self.position = taken[-1].position
        return taken

    def next_within(self, timeout: float) -> RecordedEvent | None:
        """The next event, waiting at most `timeout` seconds; None if none came or the subscription stopped."""
        deadline = _Deadline(timeout)
        while not self._stopped.is_set():
            if not self._buffer:
                self._buffer.extend(self._fetch())
            if self._buffer:
                event = self._buffer.popleft()
                self.position = event.position
                return event
            if deadline.passed() or self._stopped.wait(min(self.poll_interval, deadline.left())):
                return None
        return None

    def __next__(self) -> RecordedEvent:
        while True:
            event = self.next_within(self.poll_interval)
            if event is not None:
                return event
            if self._stopped.is_set():
                raise StopIteration

    def stop(self) -> None:
        """End the iteration (from any thread); a waiting `next` returns at once."""
        self._stopped.set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _fetch(self) -> list[RecordedEvent]:
        return self._page(self._buffer[-1].position if self._buffer else self.position, _BATCH)

    def _page(self, after: int, limit: int) -> list[RecordedEvent]:
        """At most `limit` events recorded after position `after`."""
        notifications = self._store.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [self._convert(notification) for notification in notifications]

    def _convert(self, notification: Notification) -> RecordedEvent:
        event = self._store.mapper.to_domain_event(notification)
        return recorded_event(event, notification.id, self._codes.code(event.originator_id))


def recorded_event(event: Any, position: int, council: str) -> RecordedEvent:
    entry = timeline_entry(event)
    audit = audit_entry(event, entry)
    data = {k: v for k, v in entry.data.items() if k != "metadata"}
    return RecordedEvent(
        position,
        council,
        audit.version,
        audit.event,
        audit.occurred_on,
        audit.recorded_at,
        audit.summary,
        entry.stage,
        audit.actor,
        audit.request_id,
        data,
    )


class CouncilCodes:
    """Stream id → council code, read from the `Registered` events; a subscription's own cache, or one shared by
    the pages of `InterventionEngine.events_after` (thread-safe)."""

    def __init__(self, store: CouncilStore) -> None:
        self._store = store
        self._log = LogFollower(store, self._fold, [event_topic("Registered")])
        self._codes: dict[uuid.UUID, str] = {}
        self._lock = threading.Lock()

    def code(self, cid: Any) -> str:
        key = cid if isinstance(cid, uuid.UUID) else uuid.UUID(str(cid))
        if key not in self._codes:
            self._refresh()
        return self._codes.get(key, str(key))

    def _refresh(self) -> None:
        with self._lock:
            self._log.catch_up()

    def _fold(self, notification: Notification) -> None:
        event: Any = self._store.mapper.to_domain_event(notification)
        self._codes[event.originator_id] = event.code


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + max(0.0, seconds)

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def passed(self) -> bool:
        return self.left() <= 0
