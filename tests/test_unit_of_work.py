"""The unit of work on its own (persistence/unit_of_work.py): it loads, has a decide callback decide, stamps and
saves, and decides again when another writer saved the council first. The callbacks here are the test's own, so
what is checked is the unit of work, not the engine's use cases; the store is a real SQLite file that two engines
share, as two processes would (DESIGN section 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from intervention_engine import InterventionEngine, MoveNotAllowed, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import Council, council_id
from intervention_engine.errors import ConcurrentWriteConflict
from intervention_engine.facts import parse_fact
from intervention_engine.persistence.unit_of_work import Answered, Decision, Load, UnitOfWork

from factories import inspection, registration

D = dt.date
KIRKLEES, LEEDS = council_id("382"), council_id("383")
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
VISIT = {"type": "monitoring_visit_published", "occurred_on": "2017-01-12"}
REVOKED = {"type": "statutory_direction_revoked", "occurred_on": "2017-01-12"}  # no direction to revoke
INADEQUATE_THEN_NOTICE = ["inspection_published", "improvement_notice_issued"]
TESTER = {"actor": "tester", "request_id": "req-1", "trace_id": "trace-1"}


@pytest.fixture
def two_engines(tmp_path: Path) -> Iterator[tuple[InterventionEngine, InterventionEngine]]:
    """Two engines on one SQLite file, with Kirklees (382) and Leeds (383) judged inadequate on 25 November 2016."""
    settings = Settings(backend="sqlite", db=tmp_path / "shared.sqlite")
    mine = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    rival = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    for code, name in (("382", "Kirklees"), ("383", "Leeds")):
        rival.record(None, registration(code, name))
        rival.record(code, inspection(D(2016, 11, 25), "inadequate"))
    try:
        yield mine, rival
    finally:
        rival.close()
        mine.close()


def deciding(
    engine: InterventionEngine, cid: Any, fact: dict[str, Any], calls: list[int], before: Callable[[int], None]
) -> Callable[[Load], Decision]:
    """A decide callback of the test's own: load the council, call `before(n)` (n: this call's number, from 1),
    then decide `fact` on the council as loaded, keeping count of the calls in `calls`."""
    parsed = parse_fact(fact)

    def decide(load: Load) -> Decision:
        council: Council = load(cid)
        calls.append(len(calls) + 1)
        before(len(calls))
        version = council.version
        ruling = council.record(
            parsed,
            rulebook=engine.rulebook,
            policies=engine.policies.in_force(parsed.occurred_on),
            calendar=engine.calendar,
        )
        return Decision(council, parsed, version, ruling.legal, ruling.inferred)

    return decide


def nothing(_: int) -> None:
    return None


def fact_types(engine: InterventionEngine, code: str) -> list[str]:
    return [entry.data["fact"]["type"] for entry in engine.timeline(code) if entry.event == "FactRecorded"]


def test_a_save_beaten_by_another_engine_is_decided_again_on_the_winners_state(
    two_engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, rival = two_engines
    calls: list[int] = []

    def rival_first(n: int) -> None:
        if n == 1:  # between my load and my save, the rival issues the notice
            rival.record("382", NOTICE)

    recorded = mine.work.record(deciding(mine, KIRKLEES, VISIT, calls, rival_first), TESTER, ("382", "a visit"))
    assert calls == [1, 2]
    assert mine.work.write_conflicts == 1
    assert recorded.council == "382"
    assert recorded.stage == "improvement_notice"  # the visit decided on the rival's notice, not on my stale copy
    assert recorded.request_id == "req-1"
    assert fact_types(mine, "382") == [
        "inspection_published",
        "improvement_notice_issued",
        "monitoring_visit_published",
    ]
    facts_in_log = [event.position for event in mine.events_after(0) if event.event == "FactRecorded"]
    assert recorded.position == facts_in_log[-1]
    visit = [entry for entry in mine.audit("382") if entry.event == "FactRecorded"][-1]
    assert (visit.actor, visit.request_id) == ("tester", "req-1")
    notice = [entry for entry in mine.audit("382") if entry.event == "FactRecorded"][-2]
    assert notice.request_id is None  # the rival's event was not stamped with mine


def test_a_command_that_loses_every_race_names_itself_and_saves_nothing(
    two_engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, rival = two_engines
    work = UnitOfWork(mine.store, write_attempts=3, cache_size=10)
    calls: list[int] = []

    def rival_every_time(n: int) -> None:
        rival.record("382", {"type": "note_recorded", "occurred_on": f"2017-01-0{n}", "kind": "inquiry"})

    with pytest.raises(ConcurrentWriteConflict) as refused:
        work.record(deciding(mine, KIRKLEES, NOTICE, calls, rival_every_time), TESTER, ("382", "an improvement notice"))
    assert str(refused.value) == (
        "council '382': an improvement notice met a concurrent write on each of 3 attempts and was not recorded; "
        "try again"
    )
    assert calls == [1, 2, 3]
    assert work.write_conflicts == 3
    assert fact_types(mine, "382") == ["inspection_published", "note_recorded", "note_recorded", "note_recorded"]


def test_nothing_is_saved_nor_kept_when_the_decide_callback_refuses(
    two_engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, _ = two_engines
    work = mine.work
    last = mine.last_position()
    version: int = work.store.repository.get(KIRKLEES).version
    calls: list[int] = []
    # Revoking a direction never issued is refused after the timers due before it (in December 2016) fired on the
    # loaded council: those firings must not be saved, and the half-decided council must not be cached.
    with pytest.raises(MoveNotAllowed):
        work.record(deciding(mine, KIRKLEES, REVOKED, calls, nothing), TESTER, ("382", "a revocation"))
    assert calls == [1]  # a refusal is not a conflict: not decided again
    assert work.write_conflicts == 0
    assert mine.last_position() == last
    assert len(work.cache) == 0
    assert work.cache.take(KIRKLEES).version == version


def test_an_answered_command_saves_nothing(two_engines: tuple[InterventionEngine, InterventionEngine]) -> None:
    mine, _ = two_engines
    last = mine.last_position()
    assert mine.work.record(lambda load: Answered("told before"), TESTER, ("382", "a repeat")) == "told before"
    assert mine.last_position() == last


def test_a_batch_saves_different_councils_in_one_transaction_and_a_refusal_only_refuses_itself(
    two_engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, _ = two_engines
    saves: list[int] = []
    save = mine.store.save

    def counted(*councils: Any) -> Any:
        saves.append(len(councils))
        return save(*councils)

    mine.store.save = counted  # type: ignore[method-assign]
    calls: list[int] = []
    batch = mine.work.batch(3)
    batch.add(0, deciding(mine, KIRKLEES, NOTICE, calls, nothing), TESTER, ("382", "a notice"))
    assert batch.holds(KIRKLEES)
    assert not batch.holds(LEEDS)
    assert batch.repeats("req-1", "tester")
    assert not batch.repeats("req-1", "someone else")  # request ids are each actor's own
    assert not batch.repeats("req-2", "tester")
    with pytest.raises(MoveNotAllowed) as refused:
        batch.add(1, deciding(mine, LEEDS, REVOKED, calls, nothing), {}, ("383", "a revocation"))
    batch.settle(1, refused.value)
    batch.add(2, deciding(mine, LEEDS, NOTICE, calls, nothing), {"actor": "other"}, ("383", "a notice"))
    assert saves == []  # nothing saved before the batch is
    outcomes = batch.outcomes()
    assert saves == [2]
    assert [getattr(outcome, "stage", type(outcome).__name__) for outcome in outcomes] == [
        "improvement_notice",
        "MoveNotAllowed",
        "improvement_notice",
    ]
    assert fact_types(mine, "383") == ["inspection_published", "improvement_notice_issued"]
    leeds_notice = [entry for entry in mine.audit("383") if entry.event == "FactRecorded"][-1]
    assert (leeds_notice.actor, leeds_notice.request_id) == ("other", None)


def test_a_batch_beaten_by_another_engine_decides_each_command_again_on_its_own(
    two_engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, rival = two_engines
    kirklees_calls: list[int] = []
    leeds_calls: list[int] = []

    def rival_first(n: int) -> None:
        if n == 1:
            rival.record("383", NOTICE)

    with mine.work.looked():
        batch = mine.work.batch(2)
        batch.add(0, deciding(mine, KIRKLEES, NOTICE, kirklees_calls, nothing), {}, ("382", "a notice"))
        batch.add(1, deciding(mine, LEEDS, VISIT, leeds_calls, rival_first), {}, ("383", "a visit"))
        first, second = batch.outcomes()
    assert mine.work.write_conflicts == 1
    assert (kirklees_calls, leeds_calls) == ([1, 2], [1, 2])  # the whole transaction failed: both decided again
    assert (getattr(first, "stage", first), getattr(second, "stage", second)) == (
        "improvement_notice",
        "improvement_notice",
    )
    assert fact_types(mine, "382") == ["inspection_published", "improvement_notice_issued"]
    assert fact_types(mine, "383") == [
        "inspection_published",
        "improvement_notice_issued",
        "monitoring_visit_published",
    ]
