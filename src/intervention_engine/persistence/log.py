"""Reading the notification log from a position up to its latest notification, a section at a time.

The indexes and the council cache each remember how far they have read. Reading *through* a known latest
position (rather than up to the last notification of the topics they fold) lets them skip, next time, the runs of
notifications they do not fold, and answer "nothing new" from one cheap query of the latest position. Writers
commit in log order (SQLite has one writer; eventsourcing's PostgreSQL recorder locks the table while it inserts),
so every notification up to the latest position is there to be read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.persistence import Notification

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
