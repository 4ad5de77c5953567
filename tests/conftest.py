"""Fixtures shared by the suite: one engine test suite, every backend (STYLE principle 6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

EngineFactory = Callable[[], InterventionEngine]


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend the engine supports (PostgreSQL joins with the service issue)."""
    if request.param == "memory":
        return Settings(backend="memory")
    return Settings(backend="sqlite", db=tmp_path / "engine.sqlite")


@pytest.fixture
def engine(backend: Settings) -> Iterator[InterventionEngine]:
    built = build_engine(backend, clock=VirtualClock(dt.date(2014, 1, 1)))
    yield built
    built.close()


@pytest.fixture
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.fail(f"shared data folder not found at {path}: clone the project beside ../shared")
    return path
