"""The one way the engine's trackers follow the event log (persistence/log.py): a position, and folding only what
was recorded after it. A registration stores one `Registered` event and a note one `FactRecorded` event, so the
positions below are counted by hand: 382 at 1, its note at 2, 383 at 3, 384 at 5 after a note at 4."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import event_topic
from intervention_engine.persistence.log import LogFollower

from factories import registration


def note(on: str) -> dict[str, Any]:
    return {"type": "note_recorded", "occurred_on": on, "kind": "inquiry"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[InterventionEngine]:
    built = build_engine(
        Settings(backend="sqlite", db=tmp_path / "log.sqlite"), clock=VirtualClock(dt.date(2014, 1, 1))
    )
    built.record(None, registration("382", "Kirklees"))
    built.record("382", note("2014-02-01"))
    built.record(None, registration("383", "Leeds"))
    yield built
    built.close()


class Folded:
    """What a follower folded: each notification's position and topic's last word."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []

    def __call__(self, notification: Notification) -> None:
        self.seen.append((notification.id, notification.topic.rsplit(".", 1)[-1]))


def test_a_follower_folds_what_is_new_once_and_resumes_from_its_position(engine: InterventionEngine) -> None:
    folded = Folded()
    follower = LogFollower(engine.store, folded)
    assert follower.catch_up() == 3
    assert folded.seen == [(1, "Registered"), (2, "FactRecorded"), (3, "Registered")]
    assert follower.position == 3
    engine.record("383", note("2014-03-01"))
    engine.record(None, registration("384", "Wakefield"))
    assert follower.catch_up() == 5
    assert folded.seen[3:] == [(4, "FactRecorded"), (5, "Registered")]  # only the new ones
    # A tracker that kept its position (a host restarting) folds nothing before it.
    resumed = Folded()
    assert LogFollower(engine.store, resumed, after=4).catch_up() == 5
    assert resumed.seen == [(5, "Registered")]


def test_a_follower_of_some_topics_folds_only_those_but_moves_past_the_others(engine: InterventionEngine) -> None:
    folded = Folded()
    follower = LogFollower(engine.store, folded, [event_topic("Registered")])
    follower.catch_up()
    assert folded.seen == [(1, "Registered"), (3, "Registered")]
    assert follower.position == 3
    engine.record("382", note("2014-03-01"))
    follower.catch_up()
    assert folded.seen == [(1, "Registered"), (3, "Registered")]
    assert follower.position == 4


def test_nothing_new_reads_no_notification_and_a_given_latest_is_not_passed(engine: InterventionEngine) -> None:
    folded = Folded()
    follower = LogFollower(engine.store, folded)
    assert follower.catch_up(2) == 2  # a latest position just read elsewhere: not read again, not passed
    assert folded.seen == [(1, "Registered"), (2, "FactRecorded")]
    follower.catch_up()
    reads: list[int] = []
    select = engine.store.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return select(*args, **kwargs)

    engine.store.recorder.select_notifications = counted  # type: ignore[method-assign]
    assert follower.catch_up() == 3
    assert reads == []
    assert len(folded.seen) == 3


def test_own_writes_move_the_position_on_only_when_nobody_wrote_in_between(engine: InterventionEngine) -> None:
    follower = LogFollower(engine.store, Folded(), after=3)
    assert not follower.moved_on([])
    assert not follower.moved_on([5, 6])  # 4 is someone else's: the next catch_up reads it
    assert follower.position == 3
    assert not follower.moved_on([4, 6])  # not one transaction's straight run
    assert follower.moved_on([4, 5])
    assert follower.position == 5
    follower.skip_to(4)  # never back
    assert follower.position == 5
    follower.skip_to(9)
    assert follower.position == 9
