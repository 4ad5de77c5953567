"""PostgreSQL specifics: the scheduler's advisory lock (one holder per database and schema, released when its
holder dies or loses its connection) and the standby loop that takes over. The engine suite itself runs on
PostgreSQL through the `backend` fixture (test_engine.py and others)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from intervention_engine import InterventionError, Settings, VirtualClock, build_engine
from intervention_engine.scheduling import LiveScheduler, SchedulerAlreadyRunning, lock_for
from intervention_engine.scheduling.lock import PostgresAdvisoryLock
from intervention_engine.service import SchedulerLeader

from pg_server import PostgresServer

pytestmark = pytest.mark.postgres
TIMEOUT = 30.0  # a bound on waiting, never an expectation of speed

HOLD_LOCK = """
import json, sys, time
from intervention_engine import Settings
from intervention_engine.scheduling.lock import PostgresAdvisoryLock
lock = PostgresAdvisoryLock(Settings(**json.loads(sys.argv[1])))
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def locks(postgres: Settings) -> Iterator[Callable[[Settings | None], PostgresAdvisoryLock]]:
    made: list[PostgresAdvisoryLock] = []

    def make(settings: Settings | None = None) -> PostgresAdvisoryLock:
        made.append(PostgresAdvisoryLock(settings or postgres))
        return made[-1]

    yield make
    for lock in made:
        lock.release()


def test_the_postgres_backend_is_locked_with_an_advisory_lock(postgres: Settings) -> None:
    assert isinstance(lock_for(postgres), PostgresAdvisoryLock)


def test_one_holder_at_a_time_and_the_refusal_names_it(
    postgres: Settings, locks: Callable[[Settings | None], PostgresAdvisoryLock]
) -> None:
    first, second = locks(None), locks(None)
    first.acquire()
    assert first.is_held()
    with pytest.raises(SchedulerAlreadyRunning) as refused:
        second.acquire()
    assert f"pid {os.getpid()}" in str(refused.value)
    assert postgres.describe_database() in str(refused.value)
    assert isinstance(refused.value, InterventionError)
    assert not second.is_held()
    first.release()
    assert not first.is_held()
    second.acquire()
    assert second.is_held()


def test_schemas_on_one_server_do_not_exclude_each_other(
    postgres: Settings, postgres_server: PostgresServer, locks: Callable[[Settings | None], PostgresAdvisoryLock]
) -> None:
    other = postgres_server.settings(postgres_server.new_schema())
    locks(None).acquire()
    locks(other).acquire()  # no refusal: another engine's scheduler


def test_the_server_releases_the_lock_of_a_killed_holder(
    postgres: Settings, locks: Callable[[Settings | None], PostgresAdvisoryLock]
) -> None:
    options = postgres.model_dump(mode="json", exclude={"postgres_password", "tokens"})
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, json.dumps(options)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        mine = locks(None)
        with pytest.raises(SchedulerAlreadyRunning, match=f"pid {holder.pid}"):
            mine.acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(TIMEOUT)

        def taken() -> bool:
            try:
                mine.acquire()
            except SchedulerAlreadyRunning:
                return False
            return True

        eventually(taken, "the dead holder's lock to be released")
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(TIMEOUT)
        if holder.stdout is not None:
            holder.stdout.close()


def leader_on(settings: Settings) -> SchedulerLeader:
    engine = build_engine(settings, clock=VirtualClock(dt.date(2017, 1, 1)))
    return SchedulerLeader(LiveScheduler(engine, lock=lock_for(settings)), retry_every=0.05)


def test_a_standby_takes_over_when_the_leader_stops(postgres: Settings) -> None:
    first, second = leader_on(postgres), leader_on(postgres)
    first.start()
    try:
        eventually(lambda: first.leading, "the first to lead")
        second.start()
        time.sleep(0.3)  # several retries of the standby, all refused
        assert not second.leading
        first.stop()
        eventually(lambda: second.leading, "the standby to take over")
    finally:
        first.stop()
        second.stop()


def test_a_leader_that_loses_its_connection_stands_down_and_comes_back(
    postgres: Settings, postgres_server: PostgresServer
) -> None:
    leader = leader_on(postgres)
    leader.start()
    try:
        eventually(lambda: leader.leading, "the leader to lead")
        assert leader.takeovers == 1
        lock = leader.scheduler.lock
        assert isinstance(lock, PostgresAdvisoryLock)
        killed = postgres_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            f"WHERE locktype = 'advisory' AND granted AND objid = {lock.key & 0xFFFFFFFF}"
        )
        assert killed == [(True,)]
        eventually(lambda: not lock.is_held(), "the lost lock to be noticed")
        eventually(lambda: leader.takeovers == 2 and leader.leading and lock.is_held(), "the leader to return")
    finally:
        leader.stop()
