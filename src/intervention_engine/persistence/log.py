"""Following the notification log: a position in it, and folding what was recorded since, a section at a time.

Every tracker on the engine's side follows the log with a `LogFollower`: the council index (codes, names, due
timers), the request index, the council cache (which drops what other writers changed) and the council codes of
the event feed. Each remembers how far it has read. Reading *through* a known latest
position (rather than up to the last notification of the topics they fold) lets them skip, next time, the runs of
notifications they do not fold, and answer "nothing new" from one cheap query of the latest position. Writers
commit in log order (SQLite has one writer; eventsourcing's PostgreSQL recorder locks the table while it inserts),
so every notification up to the latest position is there to be read.

Inside one look of the unit of work (`looked`), a follower takes the position read at the look's start as the
latest: what it is asked inside (a council by code, a request id) costs no query of its own. This process's own
saves inside the look are folded from memory (`saved`) when nothing else was written in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.persistence import Notification, Recording

from .store import CouncilStore

SECTION = 1000


def notifications_through(
    store: CouncilStore, after: int, latest: int, topics: Sequence[str] = ()
) -> Iterator[Notification]:
    """The notifications after position `after` up to and including `latest`, of `topics` (all when empty)."""
    recorder = store.recorder
    position = after
    while position < latest:
        section = recorder.select_notifications(position, SECTION, stop=latest, topics=topics, inclusive_of_start=False)
        yield from section
        if len(section) < SECTION:
            return
        position = section[-1].id


def follows(seen: int, positions: Sequence[int]) -> bool:
    """Whether `positions` (one transaction's) come straight after `seen`, with nobody's write in between."""
    return bool(positions) and min(positions) == seen + 1 and max(positions) - min(positions) + 1 == len(positions)


def latest_position(store: CouncilStore) -> int:
    """The position of the latest notification (0 for an empty log)."""
    return store.recorder.max_notification_id() or 0


class LogFollower:
    """A position in the log and what to do with each notification recorded after it (`fold`), for `topics` only
    (all when empty)."""

    def __init__(
        self, store: CouncilStore, fold: Callable[[Notification], None], topics: Sequence[str] = (), *, after: int = 0
    ) -> None:
        self._store = store
        self._fold = fold
        self._topics = list(topics)
        self.position = after  # every notification up to here has been folded (or skipped)
        self._looked = False  # inside `looked`: the log's latest position was read at its start

    @contextmanager
    def looked(self, latest: int) -> Iterator[None]:
        """Catch up through `latest`, just read, and take it as the log's latest position until the block ends."""
        self.catch_up(latest)
        outer, self._looked = self._looked, True
        try:
            yield
        finally:
            self._looked = outer

    def catch_up(self, latest: int | None = None) -> int:
        """Fold what was recorded since the position, through `latest` (the log's latest position if not given:
        one cheap query, and no read of notifications when nothing is new; inside `looked`, no query); the latest
        position."""
        if latest is None:
            if self._looked:
                return self.position
            latest = latest_position(self._store)
        if latest > self.position:
            for notification in notifications_through(self._store, self.position, latest, self._topics):
                self._fold(notification)
            self.position = latest
        return latest

    def skip_to(self, latest: int) -> None:
        """Move on to `latest` without folding (nothing the tracker holds could be touched)."""
        self.position = max(self.position, latest)

    def moved_on(self, positions: Sequence[int]) -> bool:
        """Move past one transaction's own `positions` if they come straight after the position (nobody else wrote in
        between), so the tracker can fold them from memory; whether they did."""
        if not follows(self.position, positions):
            return False
        self.position = max(positions)
        return True

    def saved(self, recordings: Sequence[Recording[Any]], fold_event: Callable[[Any, int], None]) -> None:
        """One transaction of this process's own, just stored: its events of the followed topics folded from
        memory (`fold_event(event, position)`) if nobody wrote in between, else read back from the log with the
        gap (every write up to these positions is committed: writers commit in log order)."""
        positions = [recording.notification.id for recording in recordings]
        if not positions:
            return
        if not self.moved_on(positions):
            self.catch_up(max(positions))
            return
        for recording in recordings:
            if not self._topics or recording.notification.topic in self._topics:
                fold_event(recording.domain_event, recording.notification.id)


class Tracker(Protocol):
    """An index that follows the log and learns the unit of work's saves from memory (the request index, the
    council index)."""

    @property
    def log(self) -> LogFollower: ...

    def saved(self, recordings: Sequence[Recording[Any]]) -> None: ...
