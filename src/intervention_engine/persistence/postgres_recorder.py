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

A checked save (`log_at`): the function also takes the log position the save's decisions were made on and, under
the same lock, refuses (SQLSTATE `IE001`, raised here as `store.LogMoved`, nothing stored) if the log has moved past
it. The unit of work uses it to save without first asking for the log's latest position, while it has reason to
think it is the only writer (persistence/cache.py); a refused save is decided again after a real look. The
comparison needs the latest committed rows, which a statement inside the function sees only under READ COMMITTED
(PostgreSQL's default); under a stricter default isolation every checked save is refused, so the engine asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from .store import LogMoved


class CouncilPostgresRecorder(PostgresApplicationRecorder):
    """Saves each transaction's events with one call of the table's insert function (see the module)."""

    checks_saves = True  # `insert_events(..., log_at=...)` refuses a save when the log has moved

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_function_name = f"{self.events_table_name}_insert_councils_events"
        self.check_identifier_length(self.insert_function_name)
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        function = Identifier(self.insert_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "ids {id_type}[], versions bigint[], topics text[], states bytea[], log_at bigint) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "IF log_at IS NOT NULL AND (current_setting('transaction_isolation') <> 'read committed' "
                "OR log_at <> (SELECT coalesce(max(notification_id), 0) FROM {schema}.{table})) "
                "THEN RAISE EXCEPTION 'the log moved past %', log_at USING ERRCODE = '{log_moved}'; END IF; "
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
                log_moved=SQL(LOG_MOVED),
            )
        )
        self.insert_function_statement = SQL(
            "SELECT * FROM {schema}.{function}(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[], %s::bigint)"
        ).format(schema=schema, function=function, id_type=Identifier(self.datastore.originator_id_type))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, log_at: int | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        params = (
            [event.originator_id for event in stored_events],
            [event.originator_version for event in stored_events],
            [event.topic for event in stored_events],
            [event.state for event in stored_events],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            try:
                cursor.execute(self.insert_function_statement, (*params, log_at), prepare=True)
            except psycopg.Error as error:
                if error.sqlstate == LOG_MOVED:
                    raise LogMoved(f"the log moved past {log_at}: saved nothing") from None
                raise
            return [row[self.insert_function_name] for row in cursor.fetchall()]


LOG_MOVED = "IE001"  # the SQLSTATE of a checked save the log moved past
