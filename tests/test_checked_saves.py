"""Checked saves on PostgreSQL (persistence/cache.py, persistence/postgres_recorder.py): while a process writes
alone, its look before saving comes from memory and each save is stored only if the log has not moved; whatever
another process writes meanwhile is still found: a save decided without it is refused and decided again, and a
refusal decided without it is decided again after a real look."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from intervention_engine import InterventionEngine, MoveNotAllowed, Settings, VirtualClock, build_engine
from intervention_engine.engine import RecordCommand, Recorded
from intervention_engine.errors import StoreUnavailable
from intervention_engine.persistence.cache import SOLE_AFTER

from factories import inspection, registration

pytestmark = pytest.mark.postgres
D = dt.date
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
LIFTED = {"type": "improvement_notice_lifted", "occurred_on": "2017-06-01"}
VISIT = {"type": "monitoring_visit_published", "occurred_on": "2017-03-01"}


@pytest.fixture
def engines(postgres: Settings) -> Iterator[tuple[InterventionEngine, InterventionEngine]]:
    """Mine and another process's, on one store; mine has registered 382 and judged it inadequate, and has looked
    at the log `SOLE_AFTER` times since, finding nobody else's writes (so it now takes its looks from memory)."""
    mine = build_engine(postgres, clock=VirtualClock(D(2014, 1, 1)))
    other = build_engine(postgres, clock=VirtualClock(D(2014, 1, 1)), check=False)
    try:
        mine.record(None, registration("382", "Kirklees"))
        mine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        for _ in range(SOLE_AFTER):
            mine.cache.catch_up()
        yield mine, other
    finally:
        mine.close()
        other.close()


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What the server answered each time any engine asked it for the log's latest position."""
    answers: list[int | None] = []
    ask = PostgresApplicationRecorder.max_notification_id

    def counted(self: PostgresApplicationRecorder) -> int | None:
        answers.append(ask(self))
        return answers[-1]

    monkeypatch.setattr(PostgresApplicationRecorder, "max_notification_id", counted)
    return answers


def stream(engine: InterventionEngine, code: str) -> list[str]:
    return [entry.event for entry in engine.timeline(code)]


def test_a_process_writing_alone_asks_for_the_latest_position_no_more(
    engines: tuple[InterventionEngine, InterventionEngine], asked: list[int | None]
) -> None:
    mine, _ = engines
    mine.record("382", NOTICE)
    mine.record_many([RecordCommand(None, registration("383", "Leeds")), RecordCommand("382", VISIT)])
    assert asked == []
    assert mine.write_conflicts == 0
    assert stream(mine, "382").count("FactRecorded") == 3  # inspection, notice, visit (and nothing lost)


def test_a_fact_decided_without_another_processs_write_is_decided_again_on_it(
    engines: tuple[InterventionEngine, InterventionEngine], asked: list[int | None]
) -> None:
    mine, other = engines
    other.record("382", NOTICE)  # mine has 382 in memory without it
    latest = other.last_position()
    asked.clear()
    recorded = mine.record("382", VISIT)
    assert recorded.stage == "improvement_notice"  # decided on the notice the other process recorded
    assert mine.write_conflicts == 1  # the checked save was refused once
    assert asked == [latest]  # then one real look


def test_a_council_registered_by_another_process_is_found(
    engines: tuple[InterventionEngine, InterventionEngine], asked: list[int | None]
) -> None:
    mine, other = engines
    other.record(None, registration("390", "Calderdale"))
    latest = other.last_position()
    asked.clear()
    outcomes = mine.record_many([RecordCommand("390", inspection(D(2016, 11, 25), "good"))])
    assert [type(o).__name__ for o in outcomes] == ["Recorded"]  # not CouncilNotFound from a look from memory
    assert asked == [latest, latest]  # the refusal's confirmation found the log moved; the real look again


def test_a_request_retried_on_another_process_records_nothing_new(
    engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, other = engines
    first = other.record("382", NOTICE, actor="case-system", request_id="k-1")  # its answer was lost
    again = mine.record("382", NOTICE, actor="case-system", request_id="k-1")  # retried here at once
    assert (first.duplicate, again.duplicate, again.position) == (False, True, first.position)
    assert stream(mine, "382").count("FactRecorded") == 2  # the inspection and the notice, once


def test_a_move_refused_without_another_processs_write_is_decided_again_and_recorded(
    engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, other = engines
    other.record("382", NOTICE)
    assert mine.record_many([RecordCommand("382", LIFTED)])[0].stage != "improvement_notice"  # type: ignore[union-attr]
    other.record("382", NOTICE | {"occurred_on": "2017-07-01"})
    recorded = mine.record("382", LIFTED | {"occurred_on": "2017-08-01"})  # refused on mine's view alone
    assert isinstance(recorded, Recorded)


def test_a_refusal_stands_once_a_real_look_shows_nobody_else_wrote(
    engines: tuple[InterventionEngine, InterventionEngine], asked: list[int | None]
) -> None:
    mine, _ = engines
    last = mine.last_position()
    asked.clear()
    with pytest.raises(MoveNotAllowed):
        mine.record("382", LIFTED)  # no notice to lift
    outcomes: list[Any] = mine.record_many([RecordCommand("382", LIFTED)])
    assert isinstance(outcomes[0], MoveNotAllowed)
    assert asked == [last, last]  # each refusal confirmed with one look; nothing was written
    mine.record("382", NOTICE)
    assert asked == [last, last]  # and the process still writes without asking


def test_a_save_that_no_version_would_stop_is_still_refused_when_the_log_moved(
    engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, other = engines
    other.record(None, registration("390", "Calderdale"))  # nothing of mine's councils: no version to clash
    outcomes: list[Any] = mine.record_many([RecordCommand(None, registration("391", "Calderdale"))])
    assert [type(o).__name__ for o in outcomes] == ["InvalidFact"]  # the name is taken, as a real look shows
    assert "already taken by council '390'" in str(outcomes[0])
    assert mine.write_conflicts == 1  # the checked save was refused


def test_after_another_writer_is_seen_the_process_asks_again_until_it_has_looked_alone_long_enough(
    engines: tuple[InterventionEngine, InterventionEngine], asked: list[int | None]
) -> None:
    mine, other = engines
    assert mine.record_many([RecordCommand(None, registration(f"{n}", f"Council {n}")) for n in range(400, 402)])
    other.record("382", NOTICE)
    asked.clear()
    mine.record(None, registration("402", "Council 402"))  # refused once (the log moved), then a real look
    assert len(asked) == 1
    per_fact = []
    for day in range(1, SOLE_AFTER + 3):
        before = len(asked)
        mine.record("382", VISIT | {"occurred_on": f"2017-03-{day:02d}"})
        per_fact.append(len(asked) - before)
    assert per_fact == [1] * SOLE_AFTER + [0, 0]  # a real look each, until SOLE_AFTER of them found nobody else


def test_a_batch_goes_on_in_order_from_a_refusal_another_writer_had_overtaken(
    engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, other = engines
    other.record("382", NOTICE)  # mine has 382 in memory without it
    lifted, visit = LIFTED, VISIT | {"occurred_on": "2017-07-01"}
    outcomes: list[Any] = mine.record_many([RecordCommand("382", lifted), RecordCommand("382", visit)])
    assert [type(o).__name__ for o in outcomes] == ["Recorded", "Recorded"]
    facts = [e.data["fact"]["type"] for e in mine.timeline("382") if e.event == "FactRecorded"]
    assert facts[-2:] == ["improvement_notice_lifted", "monitoring_visit_published"]  # in the order they came


def test_a_refusal_overtaken_by_another_writer_is_decided_again_even_with_one_write_attempt(
    engines: tuple[InterventionEngine, InterventionEngine],
) -> None:
    mine, other = engines
    mine.work.write_attempts = 1  # INTERVENTION_ENGINE_WRITE_RETRIES=1: no race may be lost, but none is here
    other.record(None, registration("390", "Calderdale"))
    assert mine.record("390", inspection(D(2016, 11, 25), "good")).stage == "good"


def test_if_a_refusal_cannot_be_confirmed_it_and_the_rest_of_the_batch_hear_why(
    engines: tuple[InterventionEngine, InterventionEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, _ = engines

    def unreachable() -> bool:
        raise StoreUnavailable("the server went away (OperationalError)")

    monkeypatch.setattr(mine.work.cache, "confirm", unreachable)
    refused_then = [RecordCommand("382", LIFTED), RecordCommand("382", NOTICE)]  # no notice yet to lift
    outcomes: list[Any] = mine.record_many([RecordCommand(None, registration("395", "Council 395")), *refused_then])
    assert type(outcomes[0]).__name__ == "Recorded"  # decided before the refusal and saved: its answer is kept
    assert [str(o) for o in outcomes[1:]] == ["the store cannot be used: the server went away (OperationalError)"] * 2
    monkeypatch.undo()
    assert stream(mine, "395") == ["Registered"]
    assert stream(mine, "382").count("FactRecorded") == 1  # the inspection only: nothing after the refusal
