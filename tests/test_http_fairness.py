"""Readers never block writers (issue 14, defect 3): reads, what-ifs and report data run on reader engines with
their own connections to the store, not under the writer's lock; a write goes ahead while every reader is busy, a
read goes ahead while the writer holds its lock, and what a write stored is what the next read sees. (The figures,
write p50/p99 alone and beside four looping readers: benchmarks/service.py.)"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intervention_engine import Settings, VirtualClock
from intervention_engine.service.compose import build_app
from intervention_engine.service.gate import EngineGate

from factories import inspection, registration
from http_service import READER, RECORDER, TOKENS, auth
from waiting import TIMEOUT

D = dt.date


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[EngineGate, TestClient]]:
    settings = Settings(backend="sqlite", db=tmp_path / "fair.sqlite", tokens=TOKENS)  # type: ignore[arg-type]
    app = build_app(settings, clock=VirtualClock(D(2018, 1, 1)), scheduler=False)
    with TestClient(app) as client:
        assert client.post("/councils", json=registration(), headers=auth(RECORDER)).status_code == 201
        yield app.state.gate, client


def answered_within_bound(call: Callable[[], Any]) -> Any:
    """`call()` on another thread; fails if it is still waiting after the tests' generous bound (it is blocked)."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert outcome, "the request was still waiting: blocked behind the other side's lock"
    return outcome[0]


def test_the_service_reads_with_reader_engines_of_its_own(served: tuple[EngineGate, TestClient]) -> None:
    gate, _ = served
    assert len(gate.readers) == 2
    assert all(reader is not gate.engine and reader.store is not gate.engine.store for reader in gate.readers)


def test_a_write_goes_ahead_while_every_reader_is_busy(served: tuple[EngineGate, TestClient]) -> None:
    """What-ifs, report collection and national counts held the engine's one lock: writes waited for them."""
    gate, client = served
    with gate.read(), gate.read():  # two long reads under way (every reader engine taken)
        fact = inspection(D(2016, 11, 25), "inadequate")
        response = answered_within_bound(lambda: client.post("/councils/382/facts", json=fact, headers=auth(RECORDER)))
    assert response.status_code == 201


def test_a_read_goes_ahead_while_the_writer_holds_its_lock(served: tuple[EngineGate, TestClient]) -> None:
    gate, client = served
    with gate.use():  # a batch of facts being saved
        response = answered_within_bound(lambda: client.get("/councils/382", headers=auth(READER)))
    assert (response.status_code, response.json()["stage"]) == (200, "not_inspected")


def test_a_read_sees_what_the_write_before_it_stored(served: tuple[EngineGate, TestClient]) -> None:
    _, client = served
    for _ in range(2):  # each reader engine has read the council before the write
        assert client.get("/councils/382", headers=auth(READER)).json()["stage"] == "not_inspected"
    fact = inspection(D(2016, 11, 25), "inadequate")
    assert client.post("/councils/382/facts", json=fact, headers=auth(RECORDER)).status_code == 201
    for _ in range(2):
        assert client.get("/councils/382", headers=auth(READER)).json()["stage"] == "inadequate"
    assert client.get("/national", params={"on": "2017-03-31"}, headers=auth(READER)).status_code == 200
