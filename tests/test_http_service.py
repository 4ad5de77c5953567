"""The HTTP service as a real server: uvicorn in a child process on 127.0.0.1, configured by its environment.

A client streams facts while the server is killed with SIGKILL and restarted: every acknowledged fact is stored,
none twice (retries carry the same Idempotency-Key), and a timer that fell due while the server was down fires
once. The SSE stream resumes after `Last-Event-ID` across a server restart. Waits poll with generous bounds and
nothing asserts on how long anything took.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine

from factories import inspection, registration
from http_service import ADMIN, READER, RECORDER, TIMEOUT, ServerProcess, auth, free_port, service_env
from waiting import eventually

D = dt.date
PUBLISHED = D(2016, 11, 25)  # Kirklees judged inadequate; ILACS-07: its action plan is due 70 working days later
PLAN_DUE = D(2017, 3, 8)
PLAN_FIRES = PLAN_DUE + dt.timedelta(days=1)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "service.sqlite"


@pytest.fixture
def servers(db: Path, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []
    port = free_port()  # every restart listens where clients expect it

    def start(**clock: Any) -> ServerProcess:
        server = ServerProcess(
            service_env({"backend": "sqlite", "db": db, "scheduler_resync_seconds": 1}),
            tmp_path / f"server{len(started)}.log",
            port=port,
        )
        started.append(server)
        return server.start(**clock)

    yield start
    for server in started:
        server.close()


def observer(db: Path) -> InterventionEngine:
    return build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(D(2014, 1, 1)))


def stored_facts(db: Path) -> list[dict[str, Any]]:
    """Every FactRecorded and Registered event in the store, with its metadata."""
    engine = observer(db)
    try:
        return [
            {"event": e.event, "fact": e.data["fact"], "request_id": e.request_id, "actor": e.actor}
            for e in engine.events_after(0, 1_000_000)
            if e.event in ("Registered", "FactRecorded")
        ]
    finally:
        engine.close()


def times_fired(db: Path, council: str, kind: str) -> int:
    engine = observer(db)
    try:
        entries = engine.timeline(council)
    finally:
        engine.close()
    ids = {e.data["timer_id"] for e in entries if e.event == "TimerScheduled" and e.data["kind"] == kind}
    return sum(1 for e in entries if e.event == "TimerFired" and e.data["timer_id"] in ids)


# ------------------------------------------------------------------------------------------------------------------


def stream_of_facts(councils: int) -> list[tuple[str | None, dict[str, Any], str]]:
    """(council, fact, idempotency key) in order: each council registered, then three notes from its record.

    Facts that set no timers: this server's scheduler runs on today's date, and a timer from a 2016 fact would be
    long overdue, fire at once and move the council past the dates still to come (FactOutOfOrder, rightly).
    """
    facts: list[tuple[str | None, dict[str, Any], str]] = []
    for n in range(councils):
        code = f"9{n:02d}"
        facts.append((None, registration(code, f"Council {code}"), f"{code}-registered"))
        for month in (3, 6, 9):
            note = {"type": "note_recorded", "occurred_on": f"2016-{month:02d}-01", "kind": "case_note"}
            facts.append((code, note, f"{code}-note-{month}"))
    return facts


class StreamingClient:
    """Sends facts one after another; on a dropped connection it waits and retries with the same key."""

    def __init__(self, url: str, facts: list[tuple[str | None, dict[str, Any], str]]) -> None:
        self.url = url
        self.facts = facts
        self.acknowledged: list[str] = []
        self.retries = 0
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with httpx2.Client(base_url=self.url, headers=auth(RECORDER), timeout=10) as client:
            for council, fact, key in self.facts:
                path = "/councils" if council is None else f"/councils/{council}/facts"
                if not self._send(client, path, fact, key):
                    return

    def _send(self, client: httpx2.Client, path: str, fact: dict[str, Any], key: str) -> bool:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                response = client.post(path, json=fact, headers={"Idempotency-Key": key})
            except httpx2.TransportError:
                self.retries += 1
                time.sleep(0.05)
                continue
            if response.status_code in (200, 201):
                self.acknowledged.append(key)
                return True
            self.failures.append(f"{key}: {response.status_code} {response.text}")
            return False
        self.failures.append(f"{key}: no answer within {TIMEOUT} s")
        return False


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_fact_and_duplicates_none(
    servers: Callable[..., ServerProcess], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = servers()
    facts = stream_of_facts(30)
    client = StreamingClient(first.url, facts)
    client.thread.start()
    eventually(lambda: len(client.acknowledged) >= len(facts) // 3 or not client.thread.is_alive(), "a third acked")
    first.kill()  # mid-stream: the client is sending
    killed_after = len(client.acknowledged)
    servers()  # restarted on the same port and database
    client.thread.join(TIMEOUT * 2)
    assert not client.thread.is_alive()
    assert client.failures == []
    assert killed_after < len(facts), "the server was killed after the stream had ended"

    stored = stored_facts(db)
    keys = [row["request_id"] for row in stored]
    assert len(keys) == len(set(keys)), "a fact was recorded twice"
    assert set(client.acknowledged) <= set(keys), "an acknowledged fact is missing"
    assert sorted(keys) == sorted(key for _, _, key in facts)
    assert {row["actor"] for row in stored} == {"bob.recorder"}
    with capsys.disabled():
        print(f"\ncrash test: killed after {killed_after} of {len(facts)} acks; {client.retries} retried sends; "
              f"{len(keys)} stored, 0 lost, 0 duplicated")  # fmt: skip


@pytest.mark.slow
def test_a_timer_due_while_the_server_was_down_fires_once_on_restart(
    servers: Callable[..., ServerProcess], db: Path
) -> None:
    first = servers(day=PLAN_FIRES, begins_in=3600)  # the plan falls due in an hour: not yet
    eventually(lambda: (first.health() or {}).get("scheduler") == "leader", "the first server to run the scheduler")
    with httpx2.Client(base_url=first.url, headers=auth(RECORDER)) as client:
        assert client.post("/councils", json=registration()).status_code == 201
        assert client.post("/councils/382/facts", json=inspection(PUBLISHED, "inadequate")).status_code == 201
    first.kill()
    assert times_fired(db, "382", "action_plan_due") == 0

    second = servers(day=PLAN_FIRES, begins_in=-1)  # the due day ended while no server ran
    eventually(lambda: times_fired(db, "382", "action_plan_due") > 0, "the overdue timer to fire")
    assert (second.health() or {})["scheduler"] == "leader"
    second.kill()
    third = servers(day=PLAN_FIRES, begins_in=-1)
    eventually(lambda: (third.health() or {}).get("scheduler") == "leader", "the third server to take over")
    assert times_fired(db, "382", "action_plan_due") == 1
    with httpx2.Client(base_url=third.url, headers=auth(ADMIN)) as client:
        trail = client.get("/councils/382/audit").json()
    fired = [entry for entry in trail if entry["event"] == "TimerFired"]
    assert fired
    assert {entry["actor"].split("@")[0] for entry in fired} == {"scheduler"}  # scheduler@host:pid


def read_sse(url: str, *, last_event_id: int | None, count: int) -> list[dict[str, Any]]:
    """Read `count` events from the stream (resuming after `last_event_id`), then hang up."""
    headers = {**auth(READER), **({"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {})}
    events: list[dict[str, Any]] = []
    with (
        httpx2.Client(timeout=httpx2.Timeout(TIMEOUT)) as client,
        client.stream("GET", f"{url}/events/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        message: dict[str, str] = {}
        for line in response.iter_lines():
            if line == "" and "id" in message:
                events.append({"id": int(message["id"]), "event": message["event"], **json.loads(message["data"])})
                message = {}
                if len(events) == count:
                    break
            elif ":" in line and not line.startswith(":"):
                field, _, value = line.partition(":")
                message[field] = value.removeprefix(" ")
    return events


@pytest.mark.slow
def test_the_event_stream_resumes_after_a_restart_without_gaps_or_repeats(
    servers: Callable[..., ServerProcess], db: Path
) -> None:
    first = servers()
    with httpx2.Client(base_url=first.url, headers=auth(RECORDER)) as client:
        for code in ("801", "802"):
            assert client.post("/councils", json=registration(code, f"C{code}")).status_code == 201
    early = read_sse(first.url, last_event_id=None, count=2)
    assert [e["id"] for e in early] == [1, 2]
    assert [e["council"] for e in early] == ["801", "802"]

    received: list[dict[str, Any]] = []
    listener = threading.Thread(target=lambda: received.extend(read_sse(first.url, last_event_id=2, count=1)))
    listener.start()
    time.sleep(0.2)  # let the listener connect first: the event below must reach it live, not from the backlog
    with httpx2.Client(base_url=first.url, headers=auth(RECORDER)) as client:
        assert client.post("/councils/801/facts", json=inspection(D(2016, 3, 1), "good")).status_code == 201
    listener.join(TIMEOUT)
    assert [e["id"] for e in received] == [3]
    first.kill()

    second = servers()
    with httpx2.Client(base_url=second.url, headers=auth(RECORDER)) as client:
        assert client.post("/councils/802/facts", json=inspection(D(2016, 3, 1), "good")).status_code == 201
    engine = observer(db)
    total = engine.last_position()
    engine.close()
    resumed = read_sse(second.url, last_event_id=3, count=total - 3)
    assert [e["id"] for e in early + received + resumed] == list(range(1, total + 1))


def test_intervention_engine_serve_starts_answers_and_stops_on_sigterm(db: Path, tmp_path: Path) -> None:
    port = free_port()
    env = service_env({"backend": "sqlite", "db": db})
    command = [sys.executable, "-c", "from intervention_engine.cli import main; main()", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx2.get(f"{url}/health").status_code == 200
            except httpx2.TransportError:
                return False

        eventually(answers, "intervention-engine serve to answer")
        spec = httpx2.get(f"{url}/openapi.json").json()
        assert "/councils/{council}/facts" in spec["paths"]
        assert httpx2.post(f"{url}/councils", json=registration()).status_code == 401
        response = httpx2.post(f"{url}/councils", json=registration(), headers=auth(RECORDER))
        assert response.status_code == 201
        process.terminate()
        # uvicorn shuts down cleanly, then re-raises the signal it caught, as a supervisor expects.
        assert process.wait(TIMEOUT) in (0, -signal.SIGTERM), log.read_text()
        assert "serving database" in log.read_text()
        assert "Application shutdown complete" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
