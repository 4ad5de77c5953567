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
from intervention_engine.persistence.store import CouncilStore

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


# ------------------------------------------------------------------------------------------------------------------
# The log's latest position from memory while nobody else writes (the listening connection).


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Every time a recorder asks the server for the latest position, what it answered."""
    answers: list[int | None] = []
    ask = PostgresApplicationRecorder.max_notification_id

    def counted(self: PostgresApplicationRecorder) -> int | None:
        answers.append(ask(self))
        return answers[-1]

    monkeypatch.setattr(PostgresApplicationRecorder, "max_notification_id", counted)
    return answers


def test_after_its_own_saves_the_recorder_knows_the_latest_position_without_asking(
    store: CouncilStore, asked: list[int | None]
) -> None:
    recorder = recorder_of(store)
    assert recorder.max_notification_id() is None  # an empty log: asked once
    assert recorder.insert_events([event(uuid.UUID(int=1), 1)]) == [1]
    assert recorder.insert_events([event(uuid.UUID(int=1), 2), event(uuid.UUID(int=2), 1)]) == [2, 3]
    assert [recorder.max_notification_id() for _ in range(3)] == [3, 3, 3]
    assert asked == [None]  # its own notifications (tagged with its own payload) told it nothing new


def test_another_writers_save_is_noticed_and_the_server_asked(
    store: CouncilStore, postgres: Settings, asked: list[int | None]
) -> None:
    recorder = recorder_of(store)
    recorder.insert_events([event(uuid.UUID(int=1), 1)])
    assert recorder.max_notification_id() == 1
    other = CouncilStore(postgres.eventsourcing_env())
    try:
        recorder_of(other).insert_events([event(uuid.UUID(int=2), 1), event(uuid.UUID(int=2), 2)])
    finally:
        other.close()
    eventually(lambda: recorder.max_notification_id() == 3, "the other writer's save to be noticed")
    assert asked[-1] == 3


def test_a_writer_on_eventsourcings_own_recorder_is_noticed_too(
    postgres_server: PostgresServer, asked: list[int | None]
) -> None:
    settings = postgres_server.settings(postgres_server.new_schema())
    mine = CouncilStore(settings.eventsourcing_env())
    stock_recorder = "eventsourcing.postgres:PostgresApplicationRecorder"
    stock = CouncilStore({**settings.eventsourcing_env(), "APPLICATION_RECORDER_TOPIC": stock_recorder})
    try:
        assert recorder_of(mine).max_notification_id() is None
        stock.recorder.insert_events([event(uuid.UUID(int=7), 1)])  # NOTIFY with no payload
        eventually(lambda: recorder_of(mine).max_notification_id() == 1, "a plain NOTIFY to be noticed")
    finally:
        mine.close()
        stock.close()


def test_a_save_that_another_writers_ids_preceded_makes_the_next_look_ask(
    store: CouncilStore, postgres: Settings, asked: list[int | None]
) -> None:
    recorder = recorder_of(store)
    assert recorder.max_notification_id() is None
    other = CouncilStore(postgres.eventsourcing_env())
    try:
        recorder_of(other).insert_events([event(uuid.UUID(int=2), 1)])  # position 1, not yet looked at
    finally:
        other.close()
    assert recorder.insert_events([event(uuid.UUID(int=1), 1)]) == [2]  # does not follow what it knew (0)
    asked.clear()
    assert recorder.max_notification_id() == 2
    assert asked == [2]


def test_if_the_listening_connection_fails_the_server_is_asked_every_time(
    store: CouncilStore, postgres_server: PostgresServer, asked: list[int | None]
) -> None:
    recorder = recorder_of(store)
    recorder.insert_events([event(uuid.UUID(int=1), 1)])
    assert recorder.max_notification_id() == 1
    listener = recorder._listener
    assert listener is not None
    postgres_server.execute(f"SELECT pg_terminate_backend({listener.info.backend_pid})")
    eventually(lambda: recorder.max_notification_id() == 1 and recorder._listener is None, "the failure noticed")
    asked.clear()
    assert [recorder.max_notification_id() for _ in range(3)] == [1, 1, 1]
    assert asked == [1, 1, 1]
    assert recorder._listener is None


def test_closing_the_store_closes_the_listening_connection(
    store: CouncilStore, postgres_server: PostgresServer
) -> None:
    recorder = recorder_of(store)
    recorder.max_notification_id()
    listener = recorder._listener
    assert listener is not None
    pid = listener.info.backend_pid
    store.close()
    assert listener.closed
    query = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
    eventually(lambda: postgres_server.execute(query)[0][0] == 0, "the listener's backend to end")
