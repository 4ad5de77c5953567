"""Fixtures shared by the suite: one engine test suite, every backend (STYLE principle 6).

PostgreSQL runs for real: a throwaway server (`pg_server.py`) starts once per test session, and each test gets a
schema of its own. Where no server can be started the PostgreSQL tests are skipped, except in CI (`CI` set), where
they fail: CI must run them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine

from pg_server import PostgresServer, PostgresUnavailable, start_postgres
from shared_data import DATA, MISSING

# Properties never pass or fail on wall-clock time (STANDARDS: speed lives in benchmarks/): no deadline.
settings.register_profile("engine", deadline=None)
settings.load_profile("engine")

EngineFactory = Callable[[], InterventionEngine]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Without the shared data, say so once and stop, rather than failing every test that reads it."""
    if not DATA.is_dir():
        pytest.exit(MISSING, returncode=pytest.ExitCode.USAGE_ERROR)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and deleted at the end."""
    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        if in_ci():
            pytest.fail(f"CI is set, so the PostgreSQL tests must run, but no server could be started: {error}")
        pytest.skip(f"no PostgreSQL server could be started: {error}")
    yield server
    server.stop()


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Settings:
    """Settings for a fresh schema of its own on the session's PostgreSQL server."""
    return postgres_server.settings(postgres_server.new_schema())


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend the engine supports."""
    if request.param == "memory":
        return Settings(backend="memory")
    if request.param == "postgres":
        settings: Settings = request.getfixturevalue("postgres")
        return settings
    return Settings(backend="sqlite", db=tmp_path / "engine.sqlite")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend whose store outlives an engine and is shared by several engines or processes."""
    if request.param == "postgres":
        settings: Settings = request.getfixturevalue("postgres")
        return settings
    return Settings(backend="sqlite", db=tmp_path / "shared.sqlite")


@pytest.fixture
def engine(backend: Settings) -> Iterator[InterventionEngine]:
    built = build_engine(backend, clock=VirtualClock(dt.date(2014, 1, 1)))
    yield built
    built.close()


@pytest.fixture
def shared_data() -> Path:
    return DATA


@pytest.fixture
def kirklees() -> Iterator[InterventionEngine]:
    """An engine in memory on a virtual clock, with Kirklees (382) registered on 1 January 1999, before every era."""
    built = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(1999, 1, 1)))
    built.record(None, {"type": "council_registered", "occurred_on": "1999-01-01", "code": "382", "name": "Kirklees"})
    yield built
    built.close()
