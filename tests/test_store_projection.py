"""The cold load (persistence/projection.py, store.py): a council loaded from bare SQLite rows, its events applied
without event objects, is the council eventsourcing's stock repository, recorder and `mutate` give."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate, OriginatorIDError, event
from eventsourcing.sqlite import SQLiteApplicationRecorder

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import Council, council_id
from intervention_engine.errors import StoreUnavailable
from intervention_engine.persistence.projection import project_events
from intervention_engine.persistence.store import CouncilRecorder, CouncilStore

from factories import inspection, registration

START = dt.date(2014, 1, 1)
CODES = {"382": "Kirklees", "383": "Leeds"}


class StockStore(CouncilStore):
    """The council store on eventsourcing's stock recorder, transcoder, mapper and repository."""

    sqlite_recorder: ClassVar[type[SQLiteApplicationRecorder]] = SQLiteApplicationRecorder
    construct_transcoder = Application.construct_transcoder
    construct_mapper = Application.construct_mapper
    construct_repository = Application.construct_repository


def _history(engine: InterventionEngine, code: str, years: int) -> None:
    """Every kind of council event: facts, timers scheduled, fired and cancelled, expectations and deviations."""
    engine.record(None, registration(code, CODES[code], on=START.isoformat()))
    for year in range(years):
        day = dt.date(2015 + year, 3, 1)
        engine.record(code, inspection(day, "inadequate"))
        engine.advance_to(day + dt.timedelta(days=200))  # the action plan comes late: its timer fires (ILACS-07)
        engine.record(
            code, {"type": "action_plan_submitted", "occurred_on": (day + dt.timedelta(days=210)).isoformat()}
        )
        engine.record(code, inspection(day + dt.timedelta(days=300), "good"))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("projection") / "engine.sqlite"
    engine = build_engine(Settings(backend="sqlite", db=path, snapshot_interval=9), clock=VirtualClock(START))
    try:
        for code in CODES:
            _history(engine, code, years=3)
    finally:
        engine.close()
    return path


_OPEN: list[CouncilStore] = []  # a store closes its database when it is collected: kept until the module ends


def _store(db: Path, store_class: type[CouncilStore] = CouncilStore, *, snapshots: bool = False) -> CouncilStore:
    env = Settings(backend="sqlite", db=db).eventsourcing_env()
    store = store_class({**env, "IS_SNAPSHOTTING_ENABLED": "y" if snapshots else "n"})
    _OPEN.append(store)
    return store


@pytest.fixture(scope="module", autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    for store in _OPEN:
        store.close()


def test_the_store_reads_sqlite_through_the_council_recorder_and_the_stock_store_does_not(db: Path) -> None:
    assert type(_store(db).recorder) is CouncilRecorder
    assert type(_store(db, StockStore).recorder) is SQLiteApplicationRecorder


@pytest.mark.parametrize("code", list(CODES))
def test_a_council_loaded_from_rows_equals_the_stock_load(db: Path, code: str) -> None:
    fast: Council = _store(db).repository.get(council_id(code))
    stock: Council = _store(db, StockStore).repository.get(council_id(code))

    assert fast.version == stock.version > 12
    assert {"timers", "expectations", "deviations"} <= set(vars(fast))
    assert any(timer["status"] == "fired" for timer in fast.timers.values())
    assert vars(fast) == vars(stock)
    assert fast.modified_on == stock.modified_on
    assert fast.modified_on.tzinfo is not None


def test_a_council_loaded_from_its_snapshot_and_the_rows_after_equals_a_full_replay(db: Path) -> None:
    store = _store(db, snapshots=True)
    assert store.snapshots is not None
    latest = next(iter(store.snapshots.get(council_id("382"), desc=True, limit=1)))
    full: Council = _store(db, StockStore).repository.get(council_id("382"))

    assert 0 < latest.originator_version < full.version  # a snapshot, with events after it
    assert vars(store.repository.get(council_id("382"))) == vars(full)


def test_an_earlier_version_asked_for_is_loaded_as_stock_loads_it(db: Path) -> None:
    fast: Council = _store(db).repository.get(council_id("382"), version=5)
    assert (fast.version, vars(fast)) == (
        5,
        vars(_store(db, StockStore).repository.get(council_id("382"), version=5)),
    )


def test_the_rows_of_a_stream_are_those_the_stock_recorder_selects(db: Path) -> None:
    recorder = _store(db).recorder
    assert isinstance(recorder, CouncilRecorder)
    cid = council_id("383")
    stored = SQLiteApplicationRecorder.select_events(recorder, cid)

    assert [tuple(row) for row in recorder.select_stream(cid)] == [
        (s.originator_version, s.topic, s.state) for s in stored
    ]
    assert [version for version, _, _ in recorder.select_stream(cid, after=10)] == list(range(11, len(stored) + 1))


def test_the_notification_log_gives_the_same_council_ids_as_stock(db: Path) -> None:
    fast = _store(db).recorder.select_notifications(1, 500)
    stock = _store(db, StockStore).recorder.select_notifications(1, 500)
    assert [n.originator_id for n in fast] == [n.originator_id for n in stock]
    assert {n.originator_id for n in fast} == {council_id(code) for code in CODES}


def test_a_council_never_registered_is_not_found(db: Path) -> None:
    with pytest.raises(AggregateNotFoundError):
        _store(db).repository.get(council_id("999"))


def test_a_stream_with_an_event_missing_names_the_council_and_the_version(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "gap.sqlite"
    copy.write_bytes(db.read_bytes())
    import sqlite3

    with sqlite3.connect(copy) as connection:
        connection.execute("DELETE FROM stored_events WHERE originator_id=? AND originator_version=4",
                           (council_id("382").hex,))  # fmt: skip
    with pytest.raises(StoreUnavailable, match=r"council '382': its stream lacks version 4 \(.* is version 5\)"):
        _store(copy).repository.get(council_id("382"))


# ----------------------------------------------------------------------------------------------------------------
# Events whose class changes how they apply keep their own `mutate`.


class Ledger(Aggregate):
    """A toy aggregate: one stock `@event` method, one event class with an `apply` of its own."""

    @event("Credited")
    def credit(self, amount: int) -> None:
        self.balance = getattr(self, "balance", 0) + amount

    class Audited(Aggregate.Event):
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.notes = [*getattr(aggregate, "notes", []), self.note.upper()]


def _ledger_events() -> list[Any]:
    ledger = Ledger()
    ledger.credit(amount=5)
    ledger.trigger_event(Ledger.Audited, note="checked")
    ledger.credit(amount=7)
    return ledger.collect_events()


def test_events_applied_by_the_fast_path_and_by_their_own_mutate_give_the_stock_result() -> None:
    events = _ledger_events()
    fast, stock = project_events(None, events), project_aggregate(None, events)

    assert fast is not None
    assert stock is not None
    assert (fast.balance, fast.notes, fast.version) == (12, ["CHECKED"], 4)
    assert vars(fast) == vars(stock)


def test_an_event_of_another_aggregate_is_refused_as_stock_refuses_it() -> None:
    events = _ledger_events()
    stranger = _ledger_events()[1]
    with pytest.raises(OriginatorIDError):
        project_events(None, [events[0], stranger])
    with pytest.raises(OriginatorIDError):
        project_aggregate(None, [events[0], stranger])


def test_an_id_equal_to_the_aggregate_but_not_the_same_object_is_accepted() -> None:
    first, credited, *_ = _ledger_events()
    vars(credited)["originator_id"] = uuid.UUID(str(first.originator_id))
    ledger = project_events(None, [first, credited])
    assert ledger is not None
    assert ledger.balance == 5
