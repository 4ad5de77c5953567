"""eventsourcing's PostgreSQL recorder, saving a transaction's events in one round trip to the server.

eventsourcing's recorder saves in pipeline mode: `BEGIN`, `SET LOCAL lock_timeout`, `LOCK TABLE ... IN EXCLUSIVE
MODE`, `NOTIFY`, the `INSERT` of the events as an array of a composite type, then `COMMIT`. psycopg waits on the
socket a dozen times for that, and dumps the composite array in Python. On the 2-core machine of
`benchmarks/service.py` each wait cost about 0.1 ms of system time, so saving one fact cost the server 1.5 to 2 ms of
CPU, more than deciding it.

`CouncilPostgresRecorder` sends one statement instead: a call of a function of its own,
`<table>_insert_councils_events(ids uuid[], versions bigint[], topics text[], states bytea[])`, run in autocommit
(its own transaction), whose body does what the pipeline did, in the same order: the same `lock_timeout`, the same
`EXCLUSIVE` lock (so transactions still commit in the order of their notification ids, which `log.py`'s readers rely
on), the same `NOTIFY` on the same channel, and the same `INSERT ... RETURNING notification_id`. Four arrays of plain
types are dumped by psycopg's C code. A council's version already stored fails the primary key as before
(`IntegrityError`: the unit of work decides again).

The function is created (`CREATE OR REPLACE`) with the tables, so a store made by an earlier version of the engine
gains it at the first start; the tables and the rows are eventsourcing's own, unchanged (schema version 1). The
function is eventsourcing's own `enable_db_functions` idea, which this does not use because its function takes no
table lock. Imported only for the postgres backend (it needs psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier


class CouncilPostgresRecorder(PostgresApplicationRecorder):
    """Saves each transaction's events with one call of the table's insert function (see the module)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function_name = f"{self.events_table_name}_insert_councils_events"
        self.check_identifier_length(self.insert_function_name)
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        function = Identifier(self.insert_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=function,
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                table=table,
                channel=Identifier(self.channel_name),
            )
        )
        self.insert_function_statement = SQL(
            "SELECT * FROM {schema}.{function}(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[])"
        ).format(schema=schema, function=function, id_type=Identifier(self.datastore.originator_id_type))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        params = (
            [event.originator_id for event in stored_events],
            [event.originator_version for event in stored_events],
            [event.topic for event in stored_events],
            [event.state for event in stored_events],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.insert_function_statement, params, prepare=True)
            return [row[self.insert_function_name] for row in cursor.fetchall()]
