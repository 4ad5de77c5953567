"""Councils kept in memory between commands, dropped as soon as another writer changes them.

Loading a council for every fact (its snapshot, then the events since) cost a third of a recorded fact's time
(benchmarks/service.py). The cache keeps each council as the last successful save left it, and remembers the
position in the notification log up to which it has seen every write. Before a command it asks the store for the
latest position (one cheap query); if another process has written since, it reads those notifications and drops
the councils they touched, which are then loaded again from the store. Its own saves move the position on without
reading anything, as long as nobody wrote in between.

A look can be skipped when saving: where the store checks saves (PostgreSQL: `CouncilStore.save(log_at=...)`),
and the last `SOLE_AFTER` real looks in a row found nobody else had written since the one before (and every save
since came straight after), `checked(saving=True)` takes the position it knows as the latest without asking
(`trusted`). A save inside is then stored only if the log is still there (`log_at`), else `LogMoved` and a real
look (`doubt`); a command refused inside is upheld only once a real look shows nobody else wrote since (`confirm`).
A process that writes alone thus asks for the latest position only when a command is refused. Beside a busy second
writer most runs of looks are broken within a few, so the process goes on asking rather than having its checked
saves refused and its commands decided again one by one (`benchmarks/service.py`, two processes).

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

SOLE_AFTER = 8  # real looks in a row that found no other writer, before looks are taken from memory


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
        self._clean_looks = 0  # real looks in a row that found no other writer since the one before (nor a save)
        self.trusted = False  # inside `checked(saving=True)`: the latest position was taken from memory

    @contextmanager
    def checked(self, *, saving: bool = False) -> Iterator[int]:
        """One look at the log for everything taken inside (a command that takes several councils); gives the
        log's latest position. `saving`: skip asking while this process seems to write alone (see the module)."""
        trusted = saving and self._clean_looks >= SOLE_AFTER and self._store.checks_saves
        latest = self._log.position if trusted else self.catch_up()
        outer, self._checked = self._checked, True
        outer_trusted, self.trusted = self.trusted, trusted
        try:
            yield latest
        finally:
            self._checked, self.trusted = outer, outer_trusted

    @property
    def log_at(self) -> int | None:
        """The position a save inside a trusted look must find the log at (None: the look was real)."""
        return self._log.position if self.trusted else None

    def doubt(self) -> None:
        """Another writer has written (a checked save was refused): the next looks ask."""
        self._clean_looks = 0

    def confirm(self) -> bool:
        """Whether what was decided in this look stands: the look was real, or nobody else has written since (asked
        now; if somebody has, the next look asks too)."""
        if not self.trusted:
            return True
        if latest_position(self._store) == self._log.position:
            return True
        self._clean_looks = 0
        return False

    def catch_up(self) -> int:
        """Drop every cached council that another writer changed since the last look; the log's latest position."""
        latest = latest_position(self._store)
        clean = latest == self._log.position  # nothing new since the last look and this process's saves
        self._clean_looks = self._clean_looks + 1 if clean else 0
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
        if not self._log.moved_on(positions):  # somebody wrote in between: the next look reads the gap
            self._clean_looks = 0
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
