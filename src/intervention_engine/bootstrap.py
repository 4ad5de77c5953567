"""The composition root: the one place that builds an engine from settings (DESIGN decision 11).

Every adapter is a parameter so tests and simulations can pass their own; nothing here runs at import time.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from eventsourcing.persistence import PersistenceError

from .calendar import WorkingDayCalendar
from .clock import Clock, SystemClock
from .engine import InterventionEngine
from .errors import ConfigurationError, InterventionError
from .policies.registry import PolicyRegistry, default_registry
from .policies.rulebook import Rulebook
from .settings import Settings
from .store import CouncilStore, store_unavailable
from .store_checks import check_store, record_schema_version, unready

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .scheduling.live import DayStarts
    from .simulation import WorldModel


def build_engine(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    policies: PolicyRegistry | None = None,
    calendar: WorkingDayCalendar | None = None,
    timer_actor: str | None = None,
    read_only: bool = False,
    check: bool = True,
) -> InterventionEngine:
    """An engine on the configured store (SQLite file by default, `backend="memory"` or `backend="postgres"`).

    `timer_actor`, when given, is recorded as the actor of the timers this engine fires (the audit trail). The
    store is checked first (`store_checks.check_store`: schema version, SQLite's quick_check); a `read_only`
    engine (a command that only reads) creates no table and records no version: it writes nothing. `check=False`
    skips the checks (an engine beside one just built on the same store).
    """
    settings = settings or Settings()
    if check:
        check_store(settings)
    store = _open_store(settings, read_only=read_only)
    if not read_only:
        record_schema_version(settings)
    return InterventionEngine(
        store,
        clock=clock or SystemClock(),
        calendar=calendar or WorkingDayCalendar(),
        policies=policies or default_registry(),
        rulebook=Rulebook(),
        strict=settings.strict,
        write_attempts=settings.write_retries,
        cache_size=settings.council_cache_size,
        timer_actor=timer_actor,
        code_pattern=settings.council_code_pattern,
    )


def _open_store(settings: Settings, attempts: int = 5, *, read_only: bool = False) -> CouncilStore:
    """The store; on PostgreSQL, opened again if another process was creating the same tables at the same moment
    (eventsourcing creates them if missing, and two creators can collide on an empty database)."""
    for attempt in range(attempts):
        try:
            env = {**settings.eventsourcing_env(), **({"CREATE_TABLE": "n"} if read_only else {})}
            return CouncilStore(env, snapshot_interval=settings.snapshot_interval)
        except PersistenceError as error:
            if read_only:
                raise store_unavailable(error) from None
            if settings.backend != "postgres" or attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))  # the other creator commits; the tables exist on the next attempt
    raise AssertionError("unreachable")


def build_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    scheduler: bool = True,
    day_starts: DayStarts | None = None,
    stopping: threading.Event | None = None,
) -> FastAPI:
    """The HTTP service on the configured store: the API, its tokens and (unless `scheduler=False`) a standby
    scheduler that takes over firing timers when no other process on the database holds the scheduler lock.

    The app owns what is built here: its engines are closed when it shuts down. Setting `stopping` ends open
    event streams (the server sets it when told to stop).
    """
    from .scheduling.live import LiveScheduler
    from .scheduling.lock import lock_for
    from .service.app import create_app
    from .service.auth import TokenRegistry
    from .service.leader import SchedulerLeader

    settings = settings or Settings()
    clock = clock or SystemClock()
    world = calibrated_world(settings.ofsted_csv) if settings.ofsted_csv else None  # before opening anything
    engine = build_engine(settings, clock=clock)
    shared = settings.backend == "memory"  # no second engine sees the in-memory store's data
    readers = [] if shared else [
        build_engine(settings, clock=clock, read_only=True, check=False) for _ in range(settings.reader_engines)
    ]  # fmt: skip
    leader = None
    if scheduler:
        actor = f"scheduler@{socket.gethostname()}:{os.getpid()}"
        firing = build_engine(settings, clock=clock, timer_actor=actor, check=False)  # checked just above
        live = LiveScheduler(
            firing, lock=lock_for(settings), day_starts=day_starts, resync_every=settings.scheduler_resync_seconds
        )
        leader = SchedulerLeader(live, retry_every=settings.scheduler_retry_seconds)
    return create_app(
        engine,
        tokens=TokenRegistry(settings.api_tokens()),
        leader=leader,
        owns_engines=True,
        stopping=stopping,
        database=settings.describe_database(),
        world=world,
        limits=settings.service_limits(),
        unready=partial(unready, settings, engine.store),
        readers=readers,
    )


def calibrated_world(ofsted_csv: Path) -> WorldModel:
    """The world model of what-ifs, calibrated on the national Ofsted record in `ofsted_csv`."""
    from .simulation import RealRecord, WorldModel

    try:
        record = RealRecord.load(ofsted_csv)
    except (OSError, InterventionError) as error:
        raise ConfigurationError(f"cannot calibrate the what-if world model on {ofsted_csv}: {error}") from None
    return WorldModel.calibrated(record.calibration())
