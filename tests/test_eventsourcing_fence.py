"""The modules that reach into eventsourcing's private API (persistence/store.py: `CouncilStore.save` calls
`_record`, `_take_snapshots`, `_notify`; `CouncilRepository.get` passes `get`'s keywords on and reads `cache`;
`CouncilRecorder` reads the SQLite recorder's `events_table_name`; persistence/postgres_recorder.py extends the
PostgreSQL recorder's `sql_create_statements` and replaces its `insert_events`; persistence/projection.py applies
stored states as `CanMutateAggregate.mutate` and `DecoratedFuncCaller.apply` would, finding methods in
`decorated_funcs`) are fenced by this test:
an upgrade of the library that changes any of those signatures fails here, by name, before anything silently
misbehaves (issue 11)."""

from __future__ import annotations

import inspect

import pytest
from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.domain import CanMutateAggregate, DecoratedFuncCaller, decorated_funcs
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

# Written out by hand from eventsourcing 9.5.6, the version the project pins within `>=9.5,<10`.
EXPECTED = {
    (Application, "_record"): ["self", "processing_event"],
    (Application, "_take_snapshots"): ["self", "processing_event"],
    (Application, "_notify"): ["self", "recordings"],
    (Application, "notify"): ["self", "new_events"],
    (Application, "save"): ["self", "objs", "kwargs"],
    (Application, "construct_env"): ["self", "name", "env"],
    (Application, "construct_repository"): ["self"],
    (Repository, "get"): [
        "self", "aggregate_id", "version", "projector_func", "fastforward_skipping", "deepcopy_from_cache"
    ],
    (Repository, "__init__"): [
        "self", "event_store", "snapshot_store", "cache_maxsize", "fastforward", "fastforward_skipping",
        "deepcopy_from_cache",
    ],
    (CanMutateAggregate, "mutate"): ["self", "aggregate"],
    (CanMutateAggregate, "apply"): ["self", "aggregate"],
    (CanMutateAggregate, "_as_dict"): ["self"],
    (DecoratedFuncCaller, "apply"): ["self", "aggregate"],
    (SQLiteApplicationRecorder, "__init__"): ["self", "datastore", "events_table_name"],
    (PostgresApplicationRecorder, "__init__"): ["self", "datastore", "events_table_name"],
    (PostgresApplicationRecorder, "insert_events"): ["self", "stored_events", "kwargs"],
    (PostgresRecorder, "create_table"): ["self"],
    (PostgresRecorder, "check_identifier_length"): ["table_name"],
}  # fmt: skip


@pytest.mark.parametrize(("owner", "name"), list(EXPECTED), ids=[f"{o.__name__}.{n}" for o, n in EXPECTED])
def test_the_private_api_the_store_relies_on_has_not_changed(owner: type, name: str) -> None:
    parameters = list(inspect.signature(getattr(owner, name)).parameters)
    assert parameters == EXPECTED[(owner, name)], f"eventsourcing changed {owner.__name__}.{name}: see store.py"


def test_a_processing_event_still_collects_events_and_aggregates_as_the_store_fills_them() -> None:
    event = ProcessingEvent()
    assert (event.events, event.aggregates) == ([], {})


def test_the_decorated_methods_are_still_found_by_event_class_and_the_recorder_names_its_table() -> None:
    assert isinstance(decorated_funcs, dict)  # event class -> the @event method (projection.py looks it up)
    recorder = SQLiteApplicationRecorder(SQLiteDatastore(":memory:"), events_table_name="council_events")
    assert recorder.events_table_name == "council_events"  # CouncilRecorder's bare-row SELECT names it
    # CouncilRepository.get reads `self.cache`: None unless a cache size is configured.
    assert Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).repository.cache is None


def test_the_postgres_recorder_still_creates_its_schema_from_a_list_of_statements_and_names_its_channel() -> None:
    # CouncilPostgresRecorder appends its insert function to `sql_create_statements`, which `create_table` runs,
    # and NOTIFYs `channel_name`, as eventsourcing's own save does (read from the source, not from a server).
    source = inspect.getsource(PostgresRecorder.create_table) + inspect.getsource(PostgresRecorder._create_table)
    assert "self.sql_create_statements" in source
    init = inspect.getsource(PostgresApplicationRecorder.__init__)
    assert 'self.channel_name = self.events_table_name.replace(".", "_")' in init
    assert "LOCK TABLE {0}.{1} IN EXCLUSIVE MODE" in init  # the lock our function takes too
