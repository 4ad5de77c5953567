"""The PostgreSQL recorder (persistence/postgres_recorder.py): a save is one call of the table's insert function,
which keeps what eventsourcing's pipelined save guaranteed: all of a transaction's events or none, notification ids
in the order given, the table's EXCLUSIVE lock while inserting (transactions commit in notification-id order), a
NOTIFY on the table's channel, and a stream version stored twice refused as an `IntegrityError`."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from intervention_engine import Settings, build_engine
from intervention_engine.persistence.postgres_recorder import CouncilPostgresRecorder
from intervention_engine.persistence.store import CouncilStore, LogMoved

from pg_server import PostgresServer
from waiting import eventually

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres: Settings) -> Iterator[CouncilStore]:
    store = CouncilStore(postgres.eventsourcing_env())
    yield store
    store.close()


def recorder_of(store: CouncilStore) -> CouncilPostgresRecorder:
    recorder = store.recorder
    assert isinstance(recorder, CouncilPostgresRecorder)
    return recorder


def event(originator: uuid.UUID, version: int, topic: str = "t:Event") -> StoredEvent:
    return StoredEvent(originator, version, topic, f'{{"v": {version}}}'.encode())


def rows(postgres: Settings, recorder: CouncilPostgresRecorder) -> list[tuple[int, uuid.UUID, int, str, bytes]]:
    with psycopg.connect(**postgres.postgres_connection()) as connection:
        table = f'"{postgres.postgres_schema}"."{recorder.events_table_name}"'
        return [
            (n, o, v, t, bytes(s))
            for n, o, v, t, s in connection.execute(
                f"SELECT notification_id, originator_id, originator_version, topic, state FROM {table} "
                "ORDER BY notification_id"
            ).fetchall()
        ]


def test_the_engine_on_postgres_saves_through_the_one_call_recorder(postgres: Settings) -> None:
    engine = build_engine(postgres)
    try:
        assert type(engine.store.recorder) is CouncilPostgresRecorder
        recorded = engine.record(
            None, {"type": "council_registered", "occurred_on": "2014-01-01", "code": "382", "name": "K"}
        )
        assert (recorded.council, recorded.position) == ("382", 1)
    finally:
        engine.close()
    again = build_engine(postgres)  # what was saved reads back through a new engine
    try:
        assert again.store.recorder.max_notification_id() == 1
        assert [n.topic for n in again.store.recorder.select_notifications(1, 10)] == [
            "intervention_engine:Council.Registered"
        ]
    finally:
        again.close()


def test_a_save_stores_every_event_in_order_with_ids_that_follow_the_log(
    store: CouncilStore, postgres: Settings
) -> None:
    recorder = recorder_of(store)
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    assert recorder.insert_events([event(a, 1)]) == [1]
    ids = recorder.insert_events([event(b, 1, "t:B"), event(a, 2), event(b, 2, "t:B")])
    assert ids == [2, 3, 4]
    assert rows(postgres, recorder) == [
        (1, a, 1, "t:Event", b'{"v": 1}'),
        (2, b, 1, "t:B", b'{"v": 1}'),
        (3, a, 2, "t:Event", b'{"v": 2}'),
        (4, b, 2, "t:B", b'{"v": 2}'),
    ]
    assert recorder.max_notification_id() == 4
    assert recorder.insert_events([]) == []  # nothing to save: no call, no id used
    assert recorder.max_notification_id() == 4


def test_a_version_stored_twice_refuses_the_whole_transaction(store: CouncilStore, postgres: Settings) -> None:
    recorder = recorder_of(store)
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    recorder.insert_events([event(a, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(b, 1), event(a, 1)])  # b's event is new, a's version 1 is stored already
    assert [(o, v) for _, o, v, _, _ in rows(postgres, recorder)] == [(a, 1)]  # b's event was not kept either
    assert recorder.insert_events([event(b, 1)]) != []  # the store is usable after the refusal


def test_a_save_waits_for_the_tables_exclusive_lock_so_commits_follow_the_log(
    store: CouncilStore, postgres: Settings
) -> None:
    recorder = recorder_of(store)
    table = f'"{postgres.postgres_schema}"."{recorder.events_table_name}"'
    saved: list[object] = []
    with psycopg.connect(**{**postgres.postgres_connection(), "autocommit": False}) as holder:
        # As a transaction inserting would: a plain INSERT would not wait for it, the EXCLUSIVE lock does.
        holder.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        saving = threading.Thread(target=lambda: saved.append(recorder.insert_events([event(uuid.UUID(int=9), 1)])))
        saving.start()
        with psycopg.connect(**postgres.postgres_connection()) as watcher:

            def waits_for_the_lock() -> bool:
                query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass"
                return bool(watcher.execute(query, (table,)).fetchone()[0])  # type: ignore[index]

            eventually(waits_for_the_lock, "the save to wait for the table's lock")
        assert saved == []  # nothing saved, no id taken, while the other transaction holds the lock
        holder.rollback()
    saving.join(timeout=60)
    assert saved == [[1]]


def test_a_save_notifies_the_tables_channel(store: CouncilStore, postgres: Settings) -> None:
    recorder = recorder_of(store)
    with psycopg.connect(**postgres.postgres_connection()) as listener:
        listener.execute(f'LISTEN "{recorder.channel_name}"')
        recorder.insert_events([event(uuid.UUID(int=3), 1)])
        heard = list(listener.notifies(timeout=30, stop_after=1))
    assert [n.channel for n in heard] == [recorder.channel_name]


def test_a_store_made_by_eventsourcings_own_recorder_gains_the_function_and_keeps_its_events(
    postgres_server: PostgresServer,
) -> None:
    settings = postgres_server.settings(postgres_server.new_schema())
    stock_recorder = "eventsourcing.postgres:PostgresApplicationRecorder"
    stock = {**settings.eventsourcing_env(), "APPLICATION_RECORDER_TOPIC": stock_recorder}
    old = CouncilStore(stock)
    assert type(old.recorder) is PostgresApplicationRecorder
    old.recorder.insert_events([event(uuid.UUID(int=5), 1)])
    old.close()
    engine = build_engine(settings)
    try:
        recorder = recorder_of(engine.store)
        assert recorder.insert_events([event(uuid.UUID(int=5), 2)]) == [2]
        assert [(o.int, v) for _, o, v, _, _ in rows(settings, recorder)] == [(5, 1), (5, 2)]
    finally:
        engine.close()


def test_a_checked_save_is_refused_when_the_log_has_moved_past_its_position(
    store: CouncilStore, postgres: Settings
) -> None:
    recorder = recorder_of(store)
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    assert recorder.insert_events([event(a, 1)], log_at=0) == [1]  # an empty log: at 0
    with pytest.raises(LogMoved, match="moved past 0"):
        recorder.insert_events([event(b, 1)], log_at=0)  # decided on the empty log; position 1 is stored since
    with pytest.raises(LogMoved):
        recorder.insert_events([event(b, 1)], log_at=2)  # a position the log has not reached is not it either
    assert [(o, v) for _, o, v, _, _ in rows(postgres, recorder)] == [(a, 1)]  # nothing of the refused saves
    assert recorder.insert_events([event(b, 1), event(a, 2)], log_at=1)[-1] > 1  # at 1 (ids after gaps)
    assert recorder.insert_events([event(b, 2)]) != []  # an unchecked save is not compared


def test_a_checked_save_is_refused_under_a_stricter_isolation_than_read_committed(
    store: CouncilStore, postgres: Settings
) -> None:
    recorder = recorder_of(store)
    with psycopg.connect(**postgres.postgres_connection()) as connection:
        connection.execute("SET default_transaction_isolation = 'repeatable read'")
        call = recorder.insert_function_statement
        params = ([uuid.UUID(int=1)], [1], ["t:Event"], [b"{}"], 0)  # the log is empty: at 0, as given
        with pytest.raises(psycopg.Error) as refused:
            connection.execute(call, params)
        assert refused.value.sqlstate == "IE001"  # its snapshot could miss a commit: the engine must look
    assert rows(postgres, recorder) == []
    assert recorder.insert_events([event(uuid.UUID(int=1), 1)], log_at=0) == [1]  # read committed: stored


def test_a_checked_save_saves_councils_only() -> None:
    from intervention_engine.persistence.store import CouncilStore as Store

    store = Store({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with pytest.raises(ValueError, match="checked save"):
        store.save(object(), log_at=3)
