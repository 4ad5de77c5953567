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
from intervention_engine.scheduling import LiveScheduler, SchedulerAlreadyRunning, SchedulerLeader, lock_for
from intervention_engine.scheduling.lock import PostgresAdvisoryLock

from pg_server import PostgresServer
from waiting import eventually

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


def test_a_process_that_collides_creating_the_tables_opens_the_store_again(
    postgres: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import IntegrityError

    from intervention_engine import bootstrap

    real = bootstrap.CouncilStore
    attempts: list[int] = []

    def collide_once(*args: object, **kwargs: object) -> object:
        attempts.append(1)
        if len(attempts) == 1:  # as when another process created the same type a moment before
            raise IntegrityError('duplicate key value violates unique constraint "pg_type_typname_nsp_index"')
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bootstrap, "CouncilStore", collide_once)
    engine = build_engine(postgres)
    engine.close()
    assert len(attempts) == 2


def test_processes_starting_together_on_an_empty_database_all_open_it(postgres_server: PostgresServer) -> None:
    settings = postgres_server.settings(postgres_server.new_schema())
    options = json.dumps(settings.model_dump(mode="json", exclude={"postgres_password", "tokens"}))
    code = "import json, sys\nfrom intervention_engine import Settings, build_engine\n"
    code += "build_engine(Settings(**json.loads(sys.argv[1]))).close()"
    starting = [subprocess.Popen([sys.executable, "-c", code, options], stderr=subprocess.PIPE) for _ in range(3)]
    errors = [process.communicate(timeout=TIMEOUT)[1].decode() for process in starting]
    assert [process.returncode for process in starting] == [0, 0, 0], errors
