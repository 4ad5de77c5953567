"""Who recorded what, under which request, and what happens when two writers race (every backend).

The actor and the request id ride in each event's metadata: the audit trail shows them, replay ignores them. A
request id seen before records nothing new. A command that loses a race to save is decided again on the winner's
state: recorded if still legal, refused otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from intervention_engine import InterventionEngine, MoveNotAllowed, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id
from intervention_engine.engine import ConcurrentWriteConflict, RequestIdReused

from factories import inspection, registration

D = dt.date
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
VISIT = {"type": "monitoring_visit_published", "occurred_on": "2017-01-12"}


def fact_events(engine: InterventionEngine, council: str = "382") -> list[Any]:
    return [e for e in engine.store.events.get(council_id(council)) if type(e).__name__ == "FactRecorded"]


def kirklees_inadequate(engine: InterventionEngine) -> None:
    engine.record(None, registration(), actor="importer", request_id="seed-1")
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"), actor="importer", request_id="seed-2")


def test_every_event_of_a_command_carries_its_actor_and_request_id(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", NOTICE, actor="dfe.adviser", request_id="req-42")
    trail = engine.audit("382")
    mine = [entry for entry in trail if entry.request_id == "req-42"]
    assert mine[0].event == "FactRecorded"
    assert len(mine) > 1  # the notice's timers and expectations were recorded by the same command
    assert {entry.actor for entry in mine} == {"dfe.adviser"}
    assert trail[0].actor == "importer"
    assert [entry.version for entry in trail] == list(range(1, len(trail) + 1))


def test_metadata_is_visible_in_the_timeline_and_changes_no_state(backend: Settings) -> None:
    plain = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2014, 1, 1)))
    audited = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        for engine, who in ((plain, {}), (audited, {"actor": "someone", "request_id": "r"})):
            engine.record(None, registration(), **who)
            engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
            engine.record("382", NOTICE)
        assert audited.timeline("382")[0].data["metadata"] == {"actor": "someone", "request_id": "r"}
        assert "metadata" not in plain.timeline("382")[0].data
        replayed = None
        for event in audited.store.events.get(council_id("382")):
            replayed = event.mutate(replayed)
        assert replayed is not None
        assert "metadata" not in replayed.__dict__
        assert audited.state("382").to_dict() == plain.state("382").to_dict()
    finally:
        plain.close()
        audited.close()


def test_a_retried_request_id_records_nothing_and_answers_as_before(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    first = engine.record("382", NOTICE, actor="a", request_id="once")
    again = engine.record("kirklees", NOTICE, actor="a", request_id="once")
    assert len(fact_events(engine)) == 2
    assert (again.duplicate, again.events, again.position) == (True, 0, first.position)
    assert (again.council, again.stage, again.states) == (first.council, first.stage, first.states)


def test_a_retried_registration_records_nothing(engine: InterventionEngine) -> None:
    engine.record(None, registration(), request_id="register-382")
    assert engine.record(None, registration(), request_id="register-382").duplicate
    assert engine.councils() == [("382", "Kirklees")]


def test_a_request_id_reused_for_another_fact_is_refused(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", NOTICE, request_id="once")
    with pytest.raises(RequestIdReused, match="'once' already recorded improvement_notice_issued on 2017-01-10"):
        engine.record("382", VISIT, request_id="once")
    assert len(fact_events(engine)) == 2


def test_timers_fired_by_the_scheduler_name_it_as_their_actor(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)), timer_actor="scheduler")
    try:
        kirklees_inadequate(engine)
        engine.fire_due(D(2017, 3, 31))
        fired = [entry for entry in engine.audit("382") if entry.event == "TimerFired"]
        assert fired
        assert {entry.actor for entry in fired} == {"scheduler"}
        assert all(entry.request_id and entry.request_id.startswith("timers:") for entry in fired)
    finally:
        engine.close()


# ------------------------------------------------------------------------------------------------------------------
# Two writers, one council: optimistic concurrency (needs a store two engines share).


@pytest.fixture
def shared(shared_backend: Settings) -> Settings:
    """A store that two engines share, with Kirklees judged inadequate in it."""
    seed = build_engine(shared_backend, clock=VirtualClock(D(2014, 1, 1)))
    kirklees_inadequate(seed)
    seed.close()
    return shared_backend


@contextmanager
def racing(settings: Settings, rival_fact: dict[str, Any], *, races: int = 1) -> Iterator[InterventionEngine]:
    """An engine whose next `races` loads of a council let a rival engine record `rival_fact` first."""
    engine = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    rival = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    load = engine.cache.take
    left = [races]

    def load_then_lose(cid: Any) -> Any:
        aggregate = load(cid)
        if left[0] > 0:
            left[0] -= 1
            rival.record("382", {**rival_fact, "note": f"rival {left[0]}"})
        return aggregate

    engine.cache.take = load_then_lose  # type: ignore[method-assign]
    try:
        yield engine
    finally:
        rival.close()
        engine.close()


def test_a_fact_still_legal_after_losing_a_race_is_recorded(shared: Settings) -> None:
    with racing(shared, NOTICE) as engine:
        recorded = engine.record("382", VISIT)
        types = [e.fact["type"] for e in fact_events(engine)]
        assert types == ["inspection_published", "improvement_notice_issued", "monitoring_visit_published"]
        assert recorded.stage == "improvement_notice"  # decided again on the rival's state
        assert engine.write_conflicts == 1


def test_a_fact_the_race_made_illegal_is_refused_naming_the_legal_moves(shared: Settings) -> None:
    with racing(shared, NOTICE) as engine:
        with pytest.raises(MoveNotAllowed, match=r"Legal moves now: .*statutory_direction_issued"):
            engine.record("382", {**NOTICE, "occurred_on": "2017-01-11"})
        assert [e.fact["type"] for e in fact_events(engine)] == ["inspection_published", "improvement_notice_issued"]


def test_a_command_that_loses_every_race_gives_up_with_a_conflict(shared: Settings) -> None:
    settings = shared.model_copy(update={"write_retries": 3})
    with racing(settings, VISIT, races=3) as engine:
        with pytest.raises(ConcurrentWriteConflict, match="concurrent write on each of 3 attempts"):
            engine.record("382", {**VISIT, "occurred_on": "2017-01-13"})
        assert [e.fact.get("note") for e in fact_events(engine)][-3:] == ["rival 2", "rival 1", "rival 0"]
