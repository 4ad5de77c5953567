"""Recording many facts at once (`record_many`) and the councils the engine keeps between commands.

`record_many` must decide every fact exactly as `record` would, one after another, while saving the facts of
different councils in one transaction: the property test records the same drawn commands both ways and compares
every answer, every error and every stored row. The council cache must never serve a council that another writer
changed, nor keep one that a refused fact half-decided.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from intervention_engine import InterventionEngine, MoveNotAllowed, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id
from intervention_engine.engine import ConcurrentWriteConflict, RecordCommand, Recorded, RequestIdReused
from intervention_engine.persistence.unit_of_work import options_of
from intervention_engine.service.gate import EngineGate

from factories import GRADES, SIMPLE, drawn_fact, inspection, registration

D = dt.date
CODES = ["382", "383", "384"]
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
VISIT = {"type": "monitoring_visit_published", "occurred_on": "2017-01-12"}
REVOKED = {"type": "statutory_direction_revoked", "occurred_on": "2018-06-01"}


def memory_engine() -> InterventionEngine:
    return build_engine(Settings(backend="memory"), clock=VirtualClock(D(2014, 1, 1)))


def outcome(call: Any) -> Any:
    """What a call answered, or the type and words of the error that refused it."""
    try:
        return call()
    except Exception as error:
        return (type(error).__name__, str(error))


def as_answer(result: Recorded | Exception) -> Any:
    return (type(result).__name__, str(result)) if isinstance(result, Exception) else result


def stored_rows(engine: InterventionEngine) -> list[tuple[Any, ...]]:
    """Every stored event but for the instant it was recorded (which differs between two runs)."""
    rows = engine.store.recorder.select_notifications(None, 100_000)
    events = [engine.store.mapper.to_domain_event(row) for row in rows]
    return [
        (row.id, row.originator_id, row.originator_version, row.topic, _without_timestamp(event.__dict__))
        for row, event in zip(rows, events, strict=True)
    ]


def _without_timestamp(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "timestamp"}


def watch(target: Any, name: str, note: Callable[[tuple[Any, ...], Any], Any]) -> list[Any]:
    """Wrap `target.<name>`: every call still happens, and `note(args, result)` of each is appended to the list."""
    seen: list[Any] = []
    original = getattr(target, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        seen.append(note(args, result))
        return result

    setattr(target, name, watched)
    return seen


def lose_one_race(mine: InterventionEngine, rival: InterventionEngine, code: str) -> None:
    """The next time `mine` takes council `code`, `rival` records a notice for it first (between `mine`'s decision
    and its save), once."""
    take, races = mine.cache.take, [1]

    def take_then_lose(cid: Any) -> Any:
        council = take(cid)
        if cid == council_id(code) and races and races.pop():
            rival.record(code, NOTICE)
        return council

    mine.cache.take = take_then_lose  # type: ignore[method-assign]


@contextmanager
def rivals(settings: Settings, codes: list[str]) -> Iterator[tuple[InterventionEngine, InterventionEngine]]:
    """Two engines on one store (mine, then a rival), with `codes` registered and judged inadequate on 25 November
    2016."""
    mine = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    rival = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    try:
        for code in codes:
            mine.record(None, registration(code, f"Council {code}"))
            mine.record(code, inspection(D(2016, 11, 25), "inadequate"))
        yield mine, rival
    finally:
        rival.close()
        mine.close()


commands = st.lists(
    st.tuples(
        st.sampled_from([*CODES, "999"]),  # 999 is never registered
        st.one_of(st.just("register"), st.sampled_from(GRADES), st.sampled_from(range(len(SIMPLE)))),
        st.integers(-90, 300),  # days since the last fact: now and then back in time (out of order)
        st.one_of(st.none(), st.sampled_from(["r1", "r2", "r3"])),  # request ids repeat, with the same fact or not
        st.booleans(),  # lenient
    ),
    min_size=1,
    max_size=30,
)


def to_commands(drawn: list[tuple[str, str | int, int, str | None, bool]]) -> list[RecordCommand]:
    day, made = D(2015, 1, 1), []
    for code, choice, gap, request_id, lenient in drawn:
        day += dt.timedelta(days=gap)
        if choice == "register":
            made.append(RecordCommand(None, registration(code, f"Council {code}"), None, "tester", request_id))
        else:
            strict = False if lenient else None
            made.append(RecordCommand(code, drawn_fact(day, choice), strict, "tester", request_id))
    return made


@settings(max_examples=300, deadline=None)
@given(drawn=commands, cuts=st.lists(st.integers(1, 30), max_size=6))
def test_record_many_answers_and_stores_exactly_what_record_does_one_by_one(
    drawn: list[tuple[str, str | int, int, str | None, bool]], cuts: list[int]
) -> None:
    todo = to_commands(drawn)
    one_by_one, together = memory_engine(), memory_engine()
    expected = [outcome(lambda c=c: one_by_one.record(c.council, c.fact, **options_of(c))) for c in todo]
    for answer in expected:
        event(f"answer: {type(answer).__name__ if isinstance(answer, Recorded) else answer[0]}")
    answers: list[Any] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(todo)]:  # the same commands in batches of drawn sizes
        if cut > start:
            answers += [as_answer(result) for result in together.record_many(todo[start:cut])]
            start = cut
    assert answers == expected
    assert stored_rows(together) == stored_rows(one_by_one)
    for code in CODES:
        assert outcome(lambda code=code: together.state(code)) == outcome(lambda code=code: one_by_one.state(code))


def test_facts_of_different_councils_are_saved_in_one_transaction(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        for code in CODES:
            engine.record(None, registration(code, f"Council {code}"))
        saves = watch(engine.store, "save", lambda councils, _: len(councils))
        results = engine.record_many([RecordCommand(code, inspection(D(2016, 11, 25), "inadequate")) for code in CODES])
        assert saves == [3]
        assert [r.stage for r in results if isinstance(r, Recorded)] == ["inadequate"] * 3
        assert [r.position for r in results if isinstance(r, Recorded)] == sorted(
            r.position for r in results if isinstance(r, Recorded)
        )
    finally:
        engine.close()


def test_a_refused_fact_in_a_batch_refuses_only_itself_and_leaves_no_trace(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        engine.record(None, registration())
        engine.record(None, registration("383", "Leeds"))
        engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        before = engine.timeline("382")
        # A direction revoked before any direction: refused, after the council's timers due before it fired.
        results = engine.record_many(
            [
                RecordCommand("382", REVOKED),
                RecordCommand("383", inspection(D(2016, 12, 1), "good")),
            ]
        )
        assert isinstance(results[0], MoveNotAllowed)
        assert "382" in str(results[0])
        assert "statutory_direction_revoked" in str(results[0])
        assert isinstance(results[1], Recorded)
        assert results[1].stage == "good"
        assert engine.timeline("382") == before  # the timers it fired first were not saved
        assert engine.state("382").pending_timers == engine.state("382", as_of=D(2017, 1, 1)).pending_timers
        assert engine.record("382", NOTICE).stage == "improvement_notice"  # decided on the stored council
    finally:
        engine.close()


def test_a_request_id_repeated_within_a_batch_records_once() -> None:
    engine = memory_engine()
    engine.record(None, registration())
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    first, again, other = engine.record_many(
        [
            RecordCommand("382", NOTICE, request_id="req-1"),
            RecordCommand("382", NOTICE, request_id="req-1"),
            RecordCommand("382", VISIT, request_id="req-1"),
        ]
    )
    assert isinstance(first, Recorded)
    assert not first.duplicate
    assert isinstance(again, Recorded)
    assert again.duplicate
    assert again.position == first.position
    assert isinstance(other, RequestIdReused)
    assert sum(1 for e in engine.timeline("382") if e.event == "FactRecorded") == 2


# ------------------------------------------------------------------------------------------------------------------
# Two engines, one store: the cache must see the other's writes.


def test_a_council_changed_by_another_engine_is_read_again(shared_backend: Settings) -> None:
    mine = build_engine(shared_backend, clock=VirtualClock(D(2014, 1, 1)))
    other = build_engine(shared_backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        mine.record(None, registration())
        mine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        assert mine.state("382").stage == "inadequate"  # now cached in `mine`
        other.record("382", NOTICE)
        assert mine.state("382").stage == "improvement_notice"
        assert mine.write_conflicts == 0
        recorded = mine.record_many([RecordCommand("382", VISIT)])[0]
        assert isinstance(recorded, Recorded)
        assert recorded.stage == "improvement_notice"
        assert mine.write_conflicts == 0  # decided on the other's state, not on a stale copy
    finally:
        other.close()
        mine.close()


def test_a_batch_that_loses_a_race_is_decided_again_fact_by_fact(shared_backend: Settings) -> None:
    with rivals(shared_backend, ["382", "383"]) as (mine, rival):
        lose_one_race(mine, rival, "383")
        results = mine.record_many([RecordCommand("382", NOTICE), RecordCommand("383", VISIT)])
        assert [r.stage for r in results if isinstance(r, Recorded)] == ["improvement_notice", "improvement_notice"]
        assert mine.write_conflicts == 1
        types = [e.fact["type"] for e in mine.store.events.get(council_id("383")) if type(e).__name__ == "FactRecorded"]
        assert types == ["inspection_published", "improvement_notice_issued", "monitoring_visit_published"]


@pytest.mark.parametrize("size", [0, 1])
def test_a_small_cache_still_answers_from_the_store(size: int) -> None:
    engine = build_engine(Settings(backend="memory", council_cache_size=size), clock=VirtualClock(D(2014, 1, 1)))
    for code in CODES:
        engine.record(None, registration(code, f"Council {code}"))
        engine.record(code, inspection(D(2016, 11, 25), "inadequate"))
    assert len(engine.cache) == size
    assert [engine.state(code).stage for code in CODES] == ["inadequate"] * 3


# ------------------------------------------------------------------------------------------------------------------
# The HTTP service's gate: requests that arrive while the engine is busy are recorded together.


@pytest.mark.parametrize("inline", [True, False], ids=["on the event loop", "on the writer thread"])
def test_requests_queued_together_are_recorded_in_one_batch_each_with_its_own_answer(inline: bool) -> None:
    engine = memory_engine()
    for code in CODES:
        engine.record(None, registration(code, f"Council {code}"))
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    batches = watch(engine, "record_many", lambda args, _: len(args[0]))
    gate = EngineGate(engine, inline_writes=inline)
    todo = [
        RecordCommand("382", NOTICE, actor="a", request_id="q1"),
        RecordCommand("383", inspection(D(2016, 12, 1), "good"), actor="a", request_id="q2"),
        RecordCommand("384", REVOKED, actor="a", request_id="q3"),  # no direction to revoke: refused
        RecordCommand("382", VISIT, actor="a", request_id="q4"),  # the same council again: a second transaction
    ]

    async def all_at_once() -> list[Any]:
        return await asyncio.gather(*(gate.record(command) for command in todo), return_exceptions=True)

    try:
        results = asyncio.run(all_at_once())
    finally:
        gate.close()
    assert batches == [4]
    assert (gate.recorded_facts, gate.recorded_batches) == (4, 1)
    assert [r.stage if isinstance(r, Recorded) else type(r).__name__ for r in results] == [
        "improvement_notice",
        "good",
        "MoveNotAllowed",
        "improvement_notice",
    ]
    assert [entry.request_id for entry in engine.audit("382") if entry.event == "FactRecorded"][-2:] == ["q1", "q4"]


def test_the_gate_counts_the_cpu_time_of_its_batches_and_the_store_counts_its_transactions() -> None:
    engine = memory_engine()
    for code in CODES:
        engine.record(None, registration(code, f"Council {code}"))
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    saves_before = engine.store.saves.count
    gate = EngineGate(engine)
    todo = [
        RecordCommand("382", NOTICE),
        RecordCommand("383", inspection(D(2016, 12, 1), "good")),
        RecordCommand("384", REVOKED),  # refused: saves nothing
        RecordCommand("382", VISIT),  # the same council again: the first two are saved, then this one
    ]

    async def all_at_once() -> list[Any]:
        return await asyncio.gather(*(gate.record(command) for command in todo), return_exceptions=True)

    try:
        asyncio.run(all_at_once())
    finally:
        gate.close()
    assert engine.store.saves.count - saves_before == 2
    assert gate.recorded_cpu_seconds > 0
    assert 0 < engine.store.saves.cpu_seconds <= engine.store.saves.seconds + 0.05  # one thread's CPU, one clock


# ------------------------------------------------------------------------------------------------------------------
# Reading the log: each index reads a notification once, and "nothing new" costs no read of notifications.


def test_indexes_read_each_notification_once_and_nothing_when_nothing_is_new(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        engine.record(None, registration())
        engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        for day in range(1, 20):  # many facts, none of them of the topics the council index folds
            engine.record("382", {"type": "monitoring_visit_published", "occurred_on": f"2017-02-{day:02d}"})
        engine.due()
        read = watch(engine.store.recorder, "select_notifications", lambda _, rows: len(rows))
        engine.due()
        engine.due()
        assert read == []  # the latest position said there was nothing new
        due_before = engine.due()
        recorded = engine.record("382", VISIT | {"occurred_on": "2017-03-01"})
        due_after = engine.due()
        timers = [e for e in engine.timeline("382")[-recorded.events :] if e.event.startswith("Timer")]
        assert timers  # the visit moved the council's timers on
        assert due_after != due_before  # and the index knows it
        assert read == []  # from memory: this engine's own save, nobody wrote before it
    finally:
        engine.close()


def test_a_batch_that_registers_councils_asks_the_store_for_the_latest_position_once(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        engine.record(None, registration("382", "Kirklees"))
        looks = watch(engine.store.recorder, "max_notification_id", lambda _, latest: latest)
        read = watch(engine.store.recorder, "select_notifications", lambda _, rows: len(rows))
        outcomes = engine.record_many(
            [
                RecordCommand(None, registration("390", "Council 390")),
                RecordCommand("390", inspection(D(2016, 11, 25), "good")),  # saves 390's registration first
                RecordCommand(None, registration("391", "Council 391")),
                RecordCommand(None, registration("382", "Kirklees again")),  # taken: refused, from the index
            ]
        )
        assert [type(o).__name__ for o in outcomes] == ["Recorded", "Recorded", "Recorded", "CouncilAlreadyRegistered"]
        assert looks == [1]  # the batch's one look; the codes checked inside it ask nothing more
        assert read == []  # 390 and 391 are known from this engine's own saves, not read back
        assert {engine.index.find(code) is not None for code in ("390", "391")} == {True}
    finally:
        engine.close()


def test_an_index_reads_the_gap_another_writer_left_before_this_engines_save(tmp_path: Path) -> None:
    two = Settings(backend="sqlite", db=tmp_path / "two.sqlite")
    mine, other = (build_engine(two, clock=VirtualClock(D(2014, 1, 1))) for _ in range(2))
    try:
        mine.record(None, registration("382", "Kirklees"))
        assert [t.council for t in mine.due()] == []
        read = watch(mine.store.recorder, "select_notifications", lambda _, rows: len(rows))
        other.record(None, registration("383", "Leeds"))  # at position 2, unseen by mine
        other.record("383", inspection(D(2016, 11, 25), "inadequate"))  # schedules Leeds's timers: 3 and on
        mine.record("382", inspection(D(2016, 11, 25), "inadequate"))  # the look before it reads the gap
        # The gap, positions 2 to 10: Leeds registered, its inspection, 6 TimerScheduled and an ExpectationOpened.
        # Read once by each follower: the council cache all 9, the request index the 2 facts, the council index
        # the registration and the 6 timers; mine's own save after the gap is folded from memory.
        assert [e.event for e in other.timeline("383")].count("TimerScheduled") == 6
        assert read == [9, 2, 7]
        assert sorted({t.council for t in mine.due()}) == ["382", "383"]
        assert mine.index.find("Leeds") is not None
    finally:
        mine.close()
        other.close()


def test_requests_still_on_their_way_join_the_batch_while_they_keep_coming() -> None:
    """Requests reach the gate a few turns of the event loop apart (reading, validating); the batch waits for them
    as long as the queue grows, without any clock."""
    engine = memory_engine()
    codes = [f"{n}" for n in range(400, 408)]
    for code in codes:
        engine.record(None, registration(code, f"Council {code}"))
    gate = EngineGate(engine)

    async def arriving(turns: int, code: str) -> Any:
        for _ in range(turns):  # this request is still being read
            await asyncio.sleep(0)
        return await gate.record(RecordCommand(code, inspection(D(2016, 11, 25), "good")))

    async def all_on_their_way() -> list[Any]:
        return await asyncio.gather(*(arriving(turns, code) for turns, code in enumerate(codes)))

    try:
        results = asyncio.run(all_on_their_way())
    finally:
        gate.close()
    assert [r.stage for r in results] == ["good"] * 8
    assert (gate.recorded_facts, gate.recorded_batches) == (8, 1)


# ------------------------------------------------------------------------------------------------------------------
# Timers of several councils that fall due on the same day fire together.


def fired_timers(engine: InterventionEngine, code: str) -> list[str]:
    return [e.data["timer_id"] for e in engine.timeline(code) if e.event == "TimerFired"]


def test_timers_of_councils_due_the_same_day_fire_in_one_transaction(backend: Settings) -> None:
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    try:
        for code in CODES:
            engine.record(None, registration(code, f"Council {code}"))
            engine.record(code, inspection(D(2016, 11, 25), "inadequate"))  # the same timers, due the same days
        saves = watch(engine.store, "save", lambda councils, _: len(councils))
        fired = engine.advance_to(D(2017, 12, 31))
        days = sorted({firing.due_on for firing in fired})
        assert saves == [3] * len(days)  # one transaction per due date, for all three councils
        assert [firing.council for firing in fired[:3]] == CODES
        assert {code: len(fired_timers(engine, code)) for code in CODES} == dict.fromkeys(CODES, len(fired) // 3)
    finally:
        engine.close()


def test_firing_that_loses_a_race_fires_each_council_again_and_each_timer_once(shared_backend: Settings) -> None:
    with rivals(shared_backend, CODES) as (mine, rival):
        lose_one_race(mine, rival, "383")
        fired = mine.advance_to(D(2017, 3, 31))
        assert mine.write_conflicts == 1
        for code in CODES:
            timers = fired_timers(mine, code)
            assert timers
            assert len(timers) == len(set(timers)), f"{code}: a timer fired twice"
        assert sorted(f"{f.council}:{f.timer_id}" for f in fired) == sorted(
            f"{code}:{timer}" for code in CODES for timer in fired_timers(mine, code)
        )


def test_firing_that_loses_every_race_for_one_council_names_it_and_fires_the_others(shared_backend: Settings) -> None:
    with rivals(shared_backend, CODES) as (mine, rival):
        mine.work.write_attempts = 2
        take, notes = mine.cache.take, iter(range(1, 10))

        def rival_writes_383_first(cid: Any) -> Any:
            council = take(cid)
            if cid == council_id("383"):
                rival.record("383", {"type": "note_recorded", "occurred_on": f"2016-12-0{next(notes)}", "kind": "x"})
            return council

        mine.cache.take = rival_writes_383_first  # type: ignore[method-assign]
        with pytest.raises(ConcurrentWriteConflict) as refused:
            mine.advance_to(D(2017, 3, 31))
        assert str(refused.value) == (
            "council '383': timer firing met a concurrent write on each of 2 attempts and was not recorded; try again"
        )
        assert mine.write_conflicts == 3  # the three councils' transaction, then 383 alone twice
        assert mine.clock.today() == D(2014, 1, 1)  # not advanced
        assert fired_timers(mine, "382") == fired_timers(mine, "384") != []  # the others fired on their own
        kinds = [e.data["fact"]["type"] for e in mine.timeline("383") if e.event == "FactRecorded"]
        assert kinds == ["inspection_published", "note_recorded", "note_recorded", "note_recorded"]
