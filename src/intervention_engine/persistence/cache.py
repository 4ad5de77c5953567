"""Councils kept in memory between commands, dropped as soon as another writer changes them.

Loading a council for every fact (its snapshot, then the events since) cost a third of a recorded fact's time
(benchmarks/service.py). The cache keeps each council as the last successful save left it, and remembers the
position in the notification log up to which it has seen every write. Before a command it asks the store for the
latest position (one cheap query); if another process has written since, it reads those notifications and drops
the councils they touched, which are then loaded again from the store. Its own saves move the position on without
reading anything, as long as nobody wrote in between.

`take` hands a council out *and removes it from the cache*; `saved` puts councils back once their events are
stored. So a command that is refused, or loses a race to save, can never leave a half-decided council behind: the
next command loads it again from the store. Not thread-safe: one engine serves one caller at a time
(service/gate.py).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Notification

from ..aggregates.council import Council
from .log import LogFollower, latest_position
from .store import CouncilStore


class CouncilCache:
    """At most `size` councils, least recently used dropped first."""

    def __init__(self, store: CouncilStore, size: int = 1000) -> None:
        if size < 0:
            raise ValueError("the council cache size cannot be negative")
        self._store = store
        self._size = size
        self._councils: OrderedDict[uuid.UUID, Council] = OrderedDict()
        self._log = LogFollower(store, self._drop)  # every write up to its position is reflected in the councils
        self._checked = False  # inside `checked()`: the log was read at its start

    @contextmanager
    def checked(self) -> Iterator[int]:
        """One look at the log for everything taken inside (a command that takes several councils); gives the
        log's latest position."""
        latest = self.catch_up()
        outer, self._checked = self._checked, True
        try:
            yield latest
        finally:
            self._checked = outer

    def catch_up(self) -> int:
        """Drop every cached council that another writer changed since the last look; the log's latest position."""
        latest = latest_position(self._store)
        if self._councils:
            self._log.catch_up(latest)
        else:
            self._log.skip_to(latest)  # nothing cached that a write could have changed
        return latest

    def _drop(self, notification: Notification) -> None:
        self._councils.pop(_uuid(notification.originator_id), None)

    def take(self, cid: uuid.UUID) -> Council:
        """The council as stored now, for the caller alone (give it back with `saved` once its events are stored)."""
        if not self._checked:
            self.catch_up()
        council = self._councils.pop(cid, None)
        if council is None:
            council = self._store.repository.get(cid)
        return council

    def saved(self, councils: Sequence[Council], positions: Sequence[int]) -> None:
        """Put back councils whose events were just stored, at `positions` in the log, in one transaction."""
        self._log.moved_on(positions)  # if somebody wrote in between, the next look reads the gap
        for council in councils:
            self.keep(council)

    def keep(self, council: Council) -> None:
        """Put back a council whose events are all stored (none pending) and that the caller did not change."""
        if self._size == 0 or council.pending_events:
            return
        self._councils[council.id] = council
        self._councils.move_to_end(council.id)
        while len(self._councils) > self._size:
            self._councils.popitem(last=False)

    def __len__(self) -> int:
        return len(self._councils)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
