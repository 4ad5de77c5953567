"""Several service processes on one PostgreSQL database, as deployed: real uvicorn servers on 127.0.0.1.

Two processes take 10,000 facts for 153 councils from concurrent clients, each council written through both:
nothing is lost and nothing is recorded twice. Exactly one process runs the scheduler; when it is killed with
SIGKILL another takes over and fires what falls due, once. Waits poll with generous bounds; nothing asserts on
how long anything took.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id

from factories import inspection, registration
from http_service import ADMIN, RECORDER, TIMEOUT, ServerProcess, auth, service_env
from waiting import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

D = dt.date
COUNCILS = 153
FACTS = 10_000
CLIENTS = 12
PLAN_DUE = D(2017, 3, 8)  # the action plan of a report published 2016-11-25 (ILACS-07)
PLAN_FIRES = PLAN_DUE + dt.timedelta(days=1)


def env_for(settings: Settings, **extra: Any) -> dict[str, str]:
    keys = ("backend", "postgres_host", "postgres_port", "postgres_dbname", "postgres_user", "postgres_schema")
    return service_env({**{key: getattr(settings, key) for key in keys}, "scheduler_retry_seconds": 0.2, **extra})


@pytest.fixture
def servers(postgres: Settings, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(**clock: Any) -> ServerProcess:
        server = ServerProcess(env_for(postgres), tmp_path / f"server{len(started)}.log")
        started.append(server)
        return server.start(**clock)

    observer = build_engine(postgres)  # creates the tables before two processes race to
    observer.close()
    yield start
    for server in started:
        server.close()


def observe(settings: Settings) -> InterventionEngine:
    return build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))


class Clients:
    """Thread-local HTTP clients that retry a request (same Idempotency-Key) until it is acknowledged."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[httpx2.Client] = []
        self._lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()

    def client(self) -> httpx2.Client:
        if not hasattr(self._local, "client"):
            self._local.client = httpx2.Client(headers=auth(RECORDER), timeout=TIMEOUT)
            with self._lock:
                self._all.append(self._local.client)
        client: httpx2.Client = self._local.client
        return client

    def send(self, url: str, fact: dict[str, Any], key: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            response = self.client().post(url, json=fact, headers={"Idempotency-Key": key})
            outcome = f"{response.status_code} {response.json().get('error', '')}".strip()
            with self._lock:
                self.outcomes[outcome] += 1
            if response.status_code in (200, 201):
                return key
            if response.json().get("error") != "concurrent_write_conflict":
                raise AssertionError(f"{key}: {response.status_code} {response.text}")
        raise AssertionError(f"{key}: not acknowledged within {TIMEOUT} s")

    def close(self) -> None:
        for client in self._all:
            client.close()


def test_two_processes_take_10000_facts_for_153_councils_and_lose_or_double_none(
    servers: Callable[..., ServerProcess], postgres: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    pair = [servers(), servers()]
    codes = [f"{n:03d}" for n in range(800, 800 + COUNCILS)]
    clients = Clients()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            registered = list(
                pool.map(
                    lambda i: clients.send(
                        f"{pair[i % 2].url}/councils", registration(codes[i], f"Council {codes[i]}"), f"reg-{i}"
                    ),
                    range(COUNCILS),
                )
            )
            assert len(registered) == COUNCILS

            def one(i: int) -> str:
                # Facts i and i+1 go to the same council at the same moment, one through each process.
                side, council = i % 2, codes[(i // 2) % COUNCILS]
                note = {"type": "note_recorded", "occurred_on": "2020-01-01", "kind": "load", "detail": f"{i}"}
                return clients.send(f"{pair[side].url}/councils/{council}/facts", note, f"s{side}-{i}")

            acknowledged = list(pool.map(one, range(FACTS)))
    finally:
        clients.close()
    conflicts = [server.health()["write_conflicts"] for server in pair]  # type: ignore[index]

    engine = observe(postgres)
    try:
        stored = [
            (event.request_id, event.council, event.data["fact"]["detail"])
            for event in engine.events_after(0, 1_000_000)
            if event.event == "FactRecorded"
        ]
        streams = {code: list(engine.store.events.get(council_id(code))) for code in codes}
    finally:
        engine.close()
    keys = [key for key, _, _ in stored]
    lost = set(acknowledged) - set(keys)
    duplicated = len(keys) - len(set(keys))
    with capsys.disabled():
        print(
            f"\ntwo processes: {len(acknowledged)} facts acknowledged, {len(keys)} stored, {len(lost)} lost, "
            f"{duplicated} duplicated; {sum(conflicts)} concurrent saves decided again {conflicts}; "
            f"answers {dict(clients.outcomes)}"
        )
    assert (len(lost), duplicated) == (0, 0)
    assert sorted(keys) == sorted(acknowledged)
    assert len(keys) == FACTS
    assert sorted(int(detail) for _, _, detail in stored) == list(range(FACTS))
    for code, events in streams.items():
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1)), code
    through = {code: {key[:2] for key, council, _ in stored if council == code} for code in codes}
    assert all(sides == {"s0", "s1"} for sides in through.values())


def leaders(pair: list[ServerProcess]) -> list[str]:
    return [(server.health() or {}).get("scheduler", "down") for server in pair]


def times_fired(settings: Settings, council: str, kind: str) -> list[str]:
    """The actor of each firing of a council's timers of one kind."""
    engine = observe(settings)
    try:  # the timeline first: a timer fired between the two reads is then in the trail too (it only grows)
        entries = engine.timeline(council)
        trail = engine.audit(council)
    finally:
        engine.close()
    ids = {e.data["timer_id"] for e in entries if e.event == "TimerScheduled" and e.data["kind"] == kind}
    by_version = {entry.version: entry.actor for entry in trail}
    return [
        str(by_version[version])
        for version, entry in enumerate(entries, 1)
        if entry.event == "TimerFired" and entry.data["timer_id"] in ids
    ]


def test_the_scheduler_fails_over_when_its_holder_is_killed(
    servers: Callable[..., ServerProcess], postgres: Settings
) -> None:
    first = servers(day=PLAN_FIRES, begins_in=3600)
    eventually(lambda: leaders([first]) == ["leader"], "the first process to run the scheduler")
    second = servers(day=PLAN_FIRES, begins_in=8)  # its clock reaches the firing day in a few seconds
    with httpx2.Client(base_url=second.url, headers=auth(RECORDER)) as client:
        assert client.post("/councils", json=registration()).status_code == 201
        assert client.post("/councils/382/facts", json=inspection(D(2016, 11, 25), "inadequate")).status_code == 201
    time.sleep(0.5)  # several standby retries: the second must still be waiting
    assert leaders([first, second]) == ["leader", "standby"]

    first.kill()
    eventually(lambda: leaders([second]) == ["leader"], "the standby to take over")
    eventually(lambda: len(times_fired(postgres, "382", "action_plan_due")) > 0, "the action plan timer to fire")
    (actor,) = times_fired(postgres, "382", "action_plan_due")
    assert actor.endswith(f":{second.process.pid}")  # type: ignore[union-attr]

    third = servers(day=PLAN_FIRES, begins_in=-1)  # a restarted process stands by; nothing fires twice
    time.sleep(0.5)
    assert leaders([second, third]) == ["leader", "standby"]
    assert len(times_fired(postgres, "382", "action_plan_due")) == 1
    with httpx2.Client(base_url=third.url, headers=auth(ADMIN)) as client:
        assert client.get("/councils/382/audit").status_code == 200
