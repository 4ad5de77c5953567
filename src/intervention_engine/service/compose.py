"""The HTTP service composed from settings: its engines, its tokens, its standby scheduler and its what-if world.

What `intervention-engine serve` runs (`server.run_server`); it builds on the composition root's `build_engine`.
"""

from __future__ import annotations

import os
import socket
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from ..bootstrap import build_engine
from ..clock import Clock, SystemClock
from ..errors import ConfigurationError, InterventionError
from ..persistence.checks import unready
from ..scheduling.leader import SchedulerLeader
from ..scheduling.live import DayStarts, LiveScheduler
from ..scheduling.lock import lock_for
from ..settings import Settings
from .app import create_app
from .auth import TokenRegistry

if TYPE_CHECKING:
    from ..history.neighbours import CouncilTable
    from ..simulation import RealRecord, WorldModel


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
    settings = settings or Settings()
    clock = clock or SystemClock()
    if settings.dfe_register is not None and settings.ofsted_csv is None:
        raise ConfigurationError(
            "the DfE register (INTERVENTION_ENGINE_DFE_REGISTER) is read with the national Ofsted CSV: set "
            "INTERVENTION_ENGINE_OFSTED_CSV too"
        )
    record = (  # before opening anything
        national_record(settings.ofsted_csv, settings.dfe_register) if settings.ofsted_csv else None
    )
    world = calibrated_world(record) if record is not None else None
    councils = council_table(settings.councils_csv) if settings.councils_csv else None
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
        councils=councils,
        limits=settings.service_limits(),
        unready=partial(unready, settings, engine.store),
        readers=readers,
        record=record,
        councils_csv=settings.councils_csv,
        telemetry=settings.telemetry,
    )


def council_table(councils_csv: Path) -> CouncilTable:
    """The council identity table the live report draws each council's statistical neighbours from."""
    from ..history.neighbours import read_council_table

    try:
        return read_council_table(councils_csv)
    except InterventionError as error:
        raise ConfigurationError(f"cannot read the council identity table: {error}") from None


def national_record(ofsted_csv: Path, register: Path | None = None) -> RealRecord:
    """The national Ofsted record (with `councils.csv` beside it) and the DfE register, if given: what-ifs' world
    model is calibrated on it and the simulated exports (`GET /exports/simulation`, ...) start from it, as
    `intervention-engine export --ofsted-csv ... [--dfe-register ...]` reads it."""
    from ..simulation import RealRecord  # only when the service is given the record (start-up time)

    try:
        return RealRecord.load(ofsted_csv, register=register)
    except (OSError, InterventionError) as error:
        read = f"{ofsted_csv} and {register}" if register is not None else str(ofsted_csv)
        raise ConfigurationError(
            f"cannot calibrate the what-if world model on {read} (nor simulate exports from it): {error}"
        ) from None


def calibrated_world(ofsted_csv: Path | RealRecord) -> WorldModel:
    """The world model of what-ifs, calibrated on the national Ofsted record (or the CSV that holds it)."""
    from ..simulation import WorldModel

    record = national_record(ofsted_csv) if isinstance(ofsted_csv, Path) else ofsted_csv
    return WorldModel.calibrated(record.calibration())
