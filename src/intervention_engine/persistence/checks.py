"""Checks of the store, so that a damaged or foreign store is refused with its reason instead of answering wrongly.

- The schema version: this engine's layout is version `SCHEMA_VERSION`. On SQLite it is `PRAGMA user_version`
  (0 on a file nothing has written yet, where a writer records it); on PostgreSQL a one-row table
  `intervention_engine_schema` beside eventsourcing's. A store of an unknown or newer version is refused with the
  version named, before anything is read or written.
- At start-up on SQLite, `PRAGMA quick_check` (and the full `integrity_check` with `Settings.integrity_check`);
  a file with a damaged page is refused, naming the first problem SQLite found.
- Readiness (`GET /ready`): the store answers a read, and takes its write lock (SQLite: `BEGIN IMMEDIATE`, rolled
  back; PostgreSQL: not a read-only standby). Nothing is written.
- A council's stream is read in version order with no gap (`store.project_events`): a missing event is an error
  naming the council and the version.

Every failure is a `StoreUnavailable` with a one-line reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from ..errors import StoreUnavailable
from ..settings import Settings
from .log import latest_position
from .store import STORE_ERRORS, CouncilStore, store_unavailable

SCHEMA_VERSION = 1
_PG_TABLE = "intervention_engine_schema"


def check_store(settings: Settings) -> None:
    """Refuse a store of another schema version or, on SQLite, one that fails `quick_check` or holds another
    application's tables; reads only. The in-memory store needs no check."""
    try:
        if settings.backend == "sqlite":
            _check_sqlite(settings)
        elif settings.backend == "postgres":
            _check_postgres(settings)
    except StoreUnavailable:
        raise
    except STORE_ERRORS as error:
        raise store_unavailable(error) from None


def record_schema_version(settings: Settings) -> None:
    """Record this engine's schema version on a store that has none yet (a writer does, once it has opened it)."""
    try:
        if settings.backend == "sqlite":
            with _sqlite(settings) as db:
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif settings.backend == "postgres":
            table = _pg_table(settings)
            with _postgres(settings) as db, db.transaction():  # one writer at a time creates it
                db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (table,))
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (version integer NOT NULL)")
                db.execute(f"INSERT INTO {table} (version) SELECT %s WHERE NOT EXISTS (SELECT 1 FROM {table})",
                           (SCHEMA_VERSION,))  # fmt: skip
    except STORE_ERRORS as error:
        raise store_unavailable(error) from None


def unready(settings: Settings, store: CouncilStore) -> str | None:
    """Why the store cannot be read and written now (one line), or None when it can; writes nothing."""
    try:
        latest_position(store)  # a read, through the store's own connections
        if settings.backend == "sqlite":
            with _sqlite(settings) as db:
                db.execute("BEGIN IMMEDIATE")  # the write lock: refused on a read-only or full disk's file
                db.execute("ROLLBACK")
        elif settings.backend == "postgres":
            with _postgres(settings) as db:
                if db.execute(
                    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
                ).fetchone()[0]:
                    return "the PostgreSQL server takes no writes (a read-only standby or transaction)"
    except STORE_ERRORS as error:
        return store_unavailable(error).reason
    return None


def _check_sqlite(settings: Settings) -> None:
    if not settings.db.exists():
        return  # a new file: eventsourcing creates it, and the writer below records the version
    with _sqlite(settings) as db:
        pragma = "integrity_check" if settings.integrity_check else "quick_check"
        try:
            problems = [row[0] for row in db.execute(f"PRAGMA {pragma}").fetchmany(3)]
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems != ["ok"]:
            raise StoreUnavailable(f"database {settings.db.name} fails SQLite's {pragma}: {'; '.join(problems)}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        _check_version(version, f"database {settings.db.name}")
        foreign = tables - {"stored_events", "stored_snapshots", "sqlite_sequence"}
        if version == 0 and foreign:
            raise StoreUnavailable(
                f"database {settings.db.name} holds tables of another application ({', '.join(sorted(foreign))})"
            )


def _check_postgres(settings: Settings) -> None:
    table = _pg_table(settings)
    with _postgres(settings) as db:
        exists = db.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None
        version = db.execute(f"SELECT max(version) FROM {table}").fetchone()[0] if exists else 0
        _check_version(version or 0, settings.describe_database())


def _pg_table(settings: Settings) -> str:
    return f"{settings.postgres_schema}.{_PG_TABLE}" if settings.postgres_schema else _PG_TABLE


def _check_version(version: int, where: str) -> None:
    if version not in (0, SCHEMA_VERSION):
        newer = " (newer than this engine)" if version > SCHEMA_VERSION else ""
        raise StoreUnavailable(
            f"{where} has schema version {version}{newer}; this engine reads version {SCHEMA_VERSION} only"
        )


@contextmanager
def _sqlite(settings: Settings) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(settings.db, timeout=5, isolation_level=None)) as db:
        yield db


@contextmanager
def _postgres(settings: Settings) -> Iterator[Any]:
    import psycopg

    with psycopg.connect(**settings.postgres_connection()) as db:
        yield db
