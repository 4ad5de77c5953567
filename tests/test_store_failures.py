"""Damaged and failing stores (issue 14, defects 4 and 6): refused at start-up with the reason (schema version,
SQLite's quick_check, another application's file), a stream with a missing event named on load, `/health` a
liveness check that shows no paths but to an admin, `/ready` 503 with the reason, store failures 503 in one line
on a connection that stays usable, a bug 500 with `Connection: close`, and the command line's exit code 4."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.sqlite import SQLiteConnectionPool
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.calendar import WorkingDayCalendar
from intervention_engine.cli import app as cli
from intervention_engine.errors import StoreUnavailable
from intervention_engine.persistence.checks import SCHEMA_VERSION
from intervention_engine.persistence.store import CouncilStore
from intervention_engine.policies.registry import default_registry
from intervention_engine.policies.rulebook import Rulebook
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.compose import build_app
from served_app import served

from factories import inspection, registration
from http_service import ADMIN, READER, RECORDER, TOKENS, auth, free_port

D = dt.date
NOTE = {"type": "note_recorded", "occurred_on": "2017-01-10", "kind": "independent_inquiry"}


def tokens() -> TokenRegistry:
    return TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


def open_engine(db: Path, **settings: object) -> InterventionEngine:
    return build_engine(Settings(backend="sqlite", db=db, **settings), clock=VirtualClock(D(2018, 1, 1)))  # type: ignore[arg-type]


def kirklees(db: Path, notes: int = 0) -> None:
    engine = open_engine(db)
    engine.record(None, registration())
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    for n in range(notes):
        engine.record("382", {**NOTE, "detail": f"note {n} " + "n" * 3000})
    engine.close()


def tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return sorted(row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def status_cli(db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["status", "382", "--db", str(db)])
    return result.exit_code, result.output


# ------------------------------------------------------------------------------------------------------------------
# Start-up checks.


def test_a_writer_records_the_schema_version(db: Path) -> None:
    kirklees(db)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1


def test_a_newer_schema_version_is_refused_with_the_version_named(db: Path) -> None:
    kirklees(db)
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreUnavailable) as refused:
        open_engine(db)
    assert str(refused.value) == (
        "the store cannot be used: database store.sqlite has schema version 999 (newer than this engine); "
        "this engine reads version 1 only"
    )
    code, output = status_cli(db)
    assert code == 4
    assert output.strip().splitlines() == [f"Error: {refused.value}"]


def test_a_file_with_an_overwritten_page_fails_the_quick_check_at_start_up(db: Path) -> None:
    kirklees(db, notes=40)
    with db.open("r+b") as file:  # page 3 of the file (4096-byte pages), a page of stored events
        file.seek(2 * 4096)
        file.write(b"\xde\xad\xbe\xef" * 1024)
    with pytest.raises(StoreUnavailable, match=r"^the store cannot be used: database store.sqlite fails SQLite's "
                       r"quick_check: "):  # fmt: skip
        open_engine(db)
    code, output = status_cli(db)
    assert code == 4
    assert len(output.strip().splitlines()) == 1
    assert "Traceback" not in output


def test_the_full_integrity_check_runs_behind_its_flag(db: Path) -> None:
    kirklees(db, notes=40)
    with db.open("r+b") as file:
        file.seek(2 * 4096)
        file.write(b"\x00" * 4096)
    with pytest.raises(StoreUnavailable, match="fails SQLite's integrity_check"):
        open_engine(db, integrity_check=True)


def test_a_read_leaves_another_applications_file_as_it_was(db: Path) -> None:
    """`status` (a read) created eventsourcing's tables in a foreign SQLite file."""
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
    before = db.read_bytes()
    code, output = status_cli(db)
    assert code == 4
    assert output.strip().splitlines() == [
        "Error: the store cannot be used: database store.sqlite holds tables of another application (users)"
    ]
    assert db.read_bytes() == before
    assert tables(db) == ["users"]


def test_a_read_of_the_engines_own_file_writes_nothing(db: Path) -> None:
    kirklees(db)
    before = db.read_bytes()
    code, _ = status_cli(db)
    assert code == 0
    assert db.read_bytes() == before


def test_a_stream_with_a_missing_event_is_named_with_its_council_and_version(db: Path) -> None:
    kirklees(db, notes=3)
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM stored_events WHERE originator_version = 3")
    engine = open_engine(db)
    with pytest.raises(StoreUnavailable) as gap:
        engine.state("382")
    assert str(gap.value) == (
        "the store cannot be used: council '382': its stream lacks version 3 (the next stored event is version 4)"
    )
    engine.close()


@pytest.mark.parametrize(
    "question",
    [{"as_of": D(2018, 6, 1)}, {"known_on": D(2030, 1, 1)}, {"as_of_version": 5}],
    ids=["as_of", "known_on", "as_of_version"],
)
def test_a_past_state_of_a_stream_with_a_missing_event_names_it_as_the_current_state_does(
    db: Path, question: dict[str, Any]
) -> None:
    # A past state replays the stream as a load does (`persistence.projection.project_events`), so the same gap is
    # the same one line, not eventsourcing's OriginatorVersionError.
    kirklees(db, notes=3)
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM stored_events WHERE originator_version = 3")
    engine = open_engine(db)
    with pytest.raises(StoreUnavailable) as gap:
        engine.state("382", **question)
    assert str(gap.value) == (
        "the store cannot be used: council '382': its stream lacks version 3 (the next stored event is version 4)"
    )
    engine.close()


# ------------------------------------------------------------------------------------------------------------------
# Over HTTP.


@pytest.fixture
def served_store(db: Path) -> Iterator[tuple[InterventionEngine, TestClient]]:
    kirklees(db)
    engine = open_engine(db)
    with TestClient(create_app(engine, tokens=tokens(), database=f"database {db}")) as client:
        yield engine, client
    engine.close()


def drop_events(db: Path) -> None:
    """The store's table gone from under the server (a foreign layout, a restore gone wrong)."""
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TABLE stored_events")


def test_health_is_liveness_and_shows_the_database_only_to_an_admin(
    served_store: tuple[InterventionEngine, TestClient], db: Path
) -> None:
    _, client = served_store
    assert client.get("/health").json()["database"] is None
    assert client.get("/health", headers=auth(READER)).json()["database"] is None
    assert client.get("/health", headers=auth(ADMIN)).json()["database"] == f"database {db}"
    drop_events(db)
    assert client.get("/health").status_code == 200  # alive, though the store is not ready


def test_ready_is_503_with_the_reason_when_the_store_cannot_be_read(
    served_store: tuple[InterventionEngine, TestClient], db: Path
) -> None:
    engine, client = served_store
    assert client.get("/ready").json() == {"status": "ready", "last_position": engine.last_position()}
    drop_events(db)
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "error": "store_unavailable",
        "message": "the store cannot be used: no such table: stored_events (OperationalError)",
    }


def test_a_write_the_store_refuses_is_503_in_one_line(
    served_store: tuple[InterventionEngine, TestClient], db: Path
) -> None:
    _, client = served_store
    drop_events(db)
    response = client.post("/councils/383/facts", json=NOTE, headers=auth(RECORDER))
    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"
    assert "\n" not in response.json()["message"]


def test_after_a_503_the_connection_serves_the_next_request(db: Path) -> None:
    kirklees(db)
    engine = open_engine(db)
    with served(create_app(engine, tokens=tokens()), timeout_graceful_shutdown=1) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        drop_events(db)
        connection.request("GET", "/ready")
        refused = connection.getresponse()
        assert refused.status == 503
        assert refused.getheader("connection") is None
        refused.read()
        connection.request("GET", "/health")  # the same connection
        assert connection.getresponse().status == 200
        connection.close()
    engine.close()


def test_a_bug_answers_500_without_details_and_closes_the_connection(
    served_store: tuple[InterventionEngine, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a 500 the connection was dropped without `Connection: close`: a keep-alive client's next request
    failed."""
    engine, _ = served_store

    def broken() -> list[tuple[str, str]]:
        raise RuntimeError("a bug with a secret in its message")

    monkeypatch.setattr(engine, "councils", broken)
    with TestClient(create_app(engine, tokens=tokens()), raise_server_exceptions=False) as client:
        response = client.get("/councils", headers=auth(READER))
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert response.json() == {
        "error": "internal",
        "message": "the service failed to answer this request; it has been logged",
    }
    assert "secret" not in response.text


def test_the_openapi_spec_documents_ready_and_the_503s(served_store: tuple[InterventionEngine, TestClient]) -> None:
    _, client = served_store
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/ready"]["get"]["responses"]) == {"200", "503"}
    assert "503" in paths["/councils/{council}"]["get"]["responses"]
    assert json.dumps(paths).count('"503"') >= 10


# ------------------------------------------------------------------------------------------------------------------
# PostgreSQL.


def test_an_unreachable_postgresql_server_is_one_line_and_exit_code_4(tmp_path: Path) -> None:
    settings = Settings(
        backend="postgres", postgres_host="127.0.0.1", postgres_port=free_port(), postgres_connect_timeout=2
    )
    with pytest.raises(StoreUnavailable) as refused:
        build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    assert str(refused.value).startswith("the store cannot be used: connection failed")
    assert "\n" not in str(refused.value)


@pytest.mark.postgres
def test_postgresql_records_the_schema_version_and_refuses_a_newer_one(postgres: Settings) -> None:
    engine = build_engine(postgres, clock=VirtualClock(D(2018, 1, 1)))
    engine.record(None, registration())
    engine.close()
    table = f'"{postgres.postgres_schema}".intervention_engine_schema'
    with psycopg.connect(**_pg(postgres), autocommit=True) as db:
        assert db.execute(f"SELECT version FROM {table}").fetchall() == [(1,)]
        db.execute(f"UPDATE {table} SET version = 2")
    with pytest.raises(
        StoreUnavailable, match=r"schema version 2 \(newer than this engine\); this engine reads version 1 only"
    ):
        build_engine(postgres, clock=VirtualClock(D(2018, 1, 1)))


@pytest.mark.postgres
def test_postgresql_readiness_over_http(postgres: Settings) -> None:
    settings = Settings(**{**postgres.model_dump(), "tokens": TOKENS})
    app = build_app(settings, clock=VirtualClock(D(2018, 1, 1)), scheduler=False)
    with TestClient(app) as client:
        assert client.get("/ready").json() == {"status": "ready", "last_position": 0}
        assert client.get("/health", headers=auth(ADMIN)).json()["database"].startswith("PostgreSQL database")
        assert client.get("/health").json()["database"] is None


def _pg(settings: Settings) -> dict[str, object]:
    return {"host": settings.postgres_host, "port": settings.postgres_port, "user": settings.postgres_user,
            "dbname": settings.postgres_dbname}  # fmt: skip


def test_serve_refuses_a_damaged_store_in_one_line_with_exit_code_4(db: Path) -> None:
    kirklees(db)
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 7")
    result = CliRunner().invoke(cli, ["serve", "--db", str(db), "--port", str(free_port())])
    assert result.exit_code == 4
    assert result.output.strip().splitlines()[-1] == (
        "Error: the store cannot be used: database store.sqlite has schema version 7 (newer than this engine); "
        "this engine reads version 1 only"
    )


def test_a_write_to_a_read_only_store_is_503_and_the_connection_serves_reads(db: Path) -> None:
    """A read-only SQLite file answered a bare 500 "Internal Server Error". (Opened read-only by URI: the tests run
    as root, whom file permissions do not stop.)"""
    kirklees(db)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"file:{db}?mode=ro", "CREATE_TABLE": "n"}
    engine = InterventionEngine(
        CouncilStore(env), clock=VirtualClock(D(2018, 1, 1)), calendar=WorkingDayCalendar(),
        policies=default_registry(), rulebook=Rulebook(),
    )  # fmt: skip
    with TestClient(create_app(engine, tokens=tokens())) as client:
        response = client.post("/councils/382/facts", json=NOTE, headers=auth(RECORDER))
        assert response.status_code == 503
        assert response.json() == {
            "error": "store_unavailable",
            "message": "the store cannot be used: attempt to write a readonly database (OperationalError)",
        }
        assert client.get("/councils/382", headers=auth(READER)).json()["stage"] == "inadequate"
    engine.close()


def test_a_full_disk_is_503_in_one_line_and_records_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk answered a bare 500. SQLite stops at `max_page_count` with the error of a full disk
    (SQLITE_FULL), so each connection the store opens is given a ceiling just above the file's size."""
    kirklees(db)
    pages = db.stat().st_size // 4096
    opening = SQLiteConnectionPool._create_connection

    def full(pool: SQLiteConnectionPool) -> Any:
        connection = opening(pool)
        connection._sqlite_conn.execute(f"PRAGMA max_page_count = {pages}")
        return connection

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", full)
    engine = open_engine(db)
    with TestClient(create_app(engine, tokens=tokens())) as client:
        detail = "a long note " * 300
        for n in range(20):  # until the file would grow
            response = client.post(
                "/councils/382/facts", json={**NOTE, "detail": f"{n} {detail}"}, headers=auth(RECORDER)
            )
            if response.status_code != 201:
                break
        assert response.status_code == 503
        assert response.json() == {
            "error": "store_unavailable",
            "message": "the store cannot be used: database or disk is full (OperationalError)",
        }
    notes = [entry for entry in engine.audit("382") if entry.summary == "note (independent_inquiry)"]
    assert len(notes) == n  # the facts acknowledged, and not the one refused
    engine.close()
