"""Subscriptions on every backend: every recorded event once, in order, resumable from any position."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.projections.subscriptions import RecordedEvent

from factories import inspection, registration
from waiting import eventually

D = dt.date
TIMEOUT = 30.0  # a bound on waiting, never an expectation of speed


def fill(engine: InterventionEngine) -> None:
    engine.record(None, registration(), actor="importer", request_id="r1")
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    engine.record(None, registration("383", "Leeds"))
    engine.record("383", inspection(D(2015, 3, 2), "good"))
    engine.advance_to(D(2017, 6, 1))


def stored_positions(engine: InterventionEngine) -> list[int]:
    return [n.id for n in engine.store.recorder.select_notifications(None, 100_000)]


def drain(engine: InterventionEngine, after: int = 0) -> list[RecordedEvent]:
    with engine.subscribe(after) as subscription:
        return subscription.poll(100_000)


def test_a_subscription_from_the_start_sees_every_event_once_in_order(engine: InterventionEngine) -> None:
    fill(engine)
    events = drain(engine)
    assert [event.position for event in events] == stored_positions(engine)
    assert events[0].event == "Registered"
    assert (events[0].council, events[0].actor, events[0].request_id) == ("382", "importer", "r1")
    assert {event.council for event in events} == {"382", "383"}
    assert any(event.event == "TimerFired" for event in events)
    assert engine.last_position() == events[-1].position


def test_resuming_from_any_position_misses_and_repeats_nothing(engine: InterventionEngine) -> None:
    fill(engine)
    everything = drain(engine)
    for cut in (0, 1, len(everything) // 2, len(everything) - 1, len(everything)):
        before = everything[:cut]
        after = drain(engine, before[-1].position if before else 0)
        assert before + after == everything


def test_a_subscription_waits_for_events_recorded_later(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    with engine.subscribe(engine.last_position(), poll_interval=0.01) as subscription:
        assert subscription.next_within(0.05) is None
        recorded = engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        event = subscription.next_within(TIMEOUT)
    assert event is not None
    assert (event.event, event.position, event.council) == ("FactRecorded", recorded.position, "382")
    assert event.data["fact"]["type"] == "inspection_published"


def test_iterating_blocks_until_stopped_from_another_thread(engine: InterventionEngine) -> None:
    fill(engine)
    count = len(stored_positions(engine))
    subscription = engine.subscribe(0, poll_interval=0.01)
    seen: list[RecordedEvent] = []
    reader = threading.Thread(target=lambda: seen.extend(subscription))
    reader.start()
    eventually(lambda: len(seen) >= count, "the subscriber to see every stored event")
    subscription.stop()
    reader.join(TIMEOUT)
    assert not reader.is_alive()
    assert [event.position for event in seen] == stored_positions(engine)


def test_a_host_restarting_from_its_saved_position_sees_only_what_is_new(shared_backend: Settings) -> None:
    first = build_engine(shared_backend, clock=VirtualClock(D(2014, 1, 1)))
    fill(first)
    handled = drain(first)
    saved = handled[-1].position  # what the host wrote down before it stopped
    first.close()

    second = build_engine(shared_backend, clock=VirtualClock(D(2017, 6, 1)))
    try:
        second.record("382", {"type": "improvement_notice_issued", "occurred_on": "2017-06-01"})
        new = drain(second, saved)
        assert new
        assert new[0].data["fact"]["type"] == "improvement_notice_issued"
        assert [event.position for event in handled + new] == stored_positions(second)
    finally:
        second.close()


def test_a_position_is_a_64_bit_count(engine: InterventionEngine) -> None:
    for wrong in (-1, 2**63):
        with pytest.raises(ValueError, match="never negative nor above"):
            engine.subscribe(wrong)
    assert engine.events_after(2**63 - 1) == []
