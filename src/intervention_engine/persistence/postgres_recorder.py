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

The log's latest position without a round trip. Before every command (or batch) the engine asks for the log's
latest position, to learn whether another process wrote (persistence/log.py); on PostgreSQL that query was a
second round trip per batch, a tenth of the server's time. The recorder listens on the table's channel (`LISTEN`,
on a connection of its own) and knows its own writes: its function's `NOTIFY` carries the recorder's own tag as
payload. `max_notification_id` then answers from memory while (a) the position it last read or wrote is known,
(b) its own last save came straight after that position (no other writer's ids in between), and (c) no
notification from anyone else has arrived (a writer on eventsourcing's own recorder notifies with no payload).
Otherwise it asks the server, as before. A commit's notification reaches the listener about when its commit
returns; another process's write committed a moment before a command can be missed, as it could be when it
committed a moment after the query: a council changed meanwhile still fails its version on save and is decided
again, and a retried request reaches another process long after its first attempt was committed and notified. If
the listening connection fails, the recorder asks the server every time from then on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier, Literal


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
                "ids {id_type}[], versions bigint[], topics text[], states bytea[], writer text) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "PERFORM pg_notify({channel_text}, writer); "
                "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=function,
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                table=table,
                channel_text=Literal(self.channel_name),
            )
        )
        self.insert_function_statement = SQL(
            "SELECT * FROM {schema}.{function}(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[], %s::text)"
        ).format(schema=schema, function=function, id_type=Identifier(self.datastore.originator_id_type))
        self.writer_tag = uuid.uuid4().hex  # the payload of this recorder's notifications
        self._listener: psycopg.Connection[Any] | None = None
        self._listening = True  # until the listening connection fails (or the recorder closes)
        self._known_latest: int | None = None  # the log's latest position, while nobody else has written

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
        known = self._known_latest
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(self.insert_function_statement, (*params, self.writer_tag), prepare=True)
            ids: list[int] = [row[self.insert_function_name] for row in cursor.fetchall()]
        follows = known is not None and ids == list(range(known + 1, known + 1 + len(ids)))
        self._known_latest = ids[-1] if follows and ids else None  # another writer's ids came in between: ask
        return ids

    def max_notification_id(self) -> int | None:
        """The log's latest position: from memory while nobody else has written (see the module), else asked."""
        if self._listen() and self._known_latest is not None and not self._others_wrote():
            return self._known_latest or None
        latest: int | None = super().max_notification_id()
        self._known_latest = (latest or 0) if self._listener is not None else None
        return latest

    def _listen(self) -> bool:
        """Whether the listening connection is up (opened at the first call; never again once it failed)."""
        if self._listener is None and self._listening:
            try:
                pool = self.datastore.pool
                given = pool.kwargs
                kwargs = dict(given() if callable(given) else given or {})
                if pool.get_password_func is not None:
                    kwargs["password"] = pool.get_password_func()
                listener = psycopg.connect(**kwargs, autocommit=True)
                listener.execute(SQL("LISTEN {0}").format(Identifier(self.channel_name)))
                self._listener = listener
            except psycopg.Error as error:
                self._stop_listening(error)
        return self._listener is not None

    def _others_wrote(self) -> bool:
        """Whether a notification from another writer arrived since the last look (read without waiting)."""
        listener = self._listener
        assert listener is not None
        others = False
        try:
            listener.pgconn.consume_input()
            while (notice := listener.pgconn.notifies()) is not None:
                others = others or notice.extra.decode() != self.writer_tag
        except psycopg.Error as error:
            self._stop_listening(error)
            return True
        if listener.pgconn.status != psycopg.pq.ConnStatus.OK:
            self._stop_listening(psycopg.OperationalError("the listening connection is closed"))
            return True
        return others

    def _stop_listening(self, error: BaseException | None = None) -> None:
        """Ask the server for the latest position from now on."""
        if error is not None:
            _log.warning(
                "not listening on %s (%s); asking the server for the latest position", self.channel_name, error
            )
        self._listening, self._known_latest = False, None
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def stop_listening(self) -> None:
        """Close the listening connection for good (the store is closing; the pool is the datastore's)."""
        self._stop_listening()


_log = logging.getLogger(__name__)
