"""The live service: one process that fires a database's timers as they fall due (`intervention-engine run`).

A composition root (it builds the engine from settings), so it lives with the faces, not in `scheduling/`.

`run_service` builds the engine from settings on the system clock, takes the database's scheduler lock, starts the
`LiveScheduler` and blocks until SIGINT or SIGTERM arrives or `stop_event` is set, then stops cleanly: a firing
under way finishes, the lock is released and the store is closed. Each firing is logged (logging module) with the
council, the timer kind, its due date and its rule id.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from ..bootstrap import build_engine
from ..clock import Clock, SystemClock
from ..scheduling.live import DayStarts, LiveScheduler
from ..scheduling.lock import lock_for
from ..settings import Settings

# The scheduler's logger, named as before the module moved: operators filter on `intervention_engine.scheduling`.
logger = logging.getLogger("intervention_engine.scheduling.service")

_POLL_SECONDS = 0.2


def run_service(
    settings: Settings,
    *,
    stop_event: threading.Event | None = None,
    clock: Clock | None = None,
    day_starts: DayStarts | None = None,
    resync_every: float | None = None,
    on_started: Callable[[LiveScheduler], None] | None = None,
) -> None:
    """Fire the timers of the database named by `settings` until stopped (SIGINT, SIGTERM or `stop_event`).

    Raises `SchedulerAlreadyRunning` if another scheduler already runs on this database. Signal handlers are only
    installed when called from the main thread; elsewhere, stop it with `stop_event`. `on_started` is called with
    the running scheduler once its jobs are in place (the CLI may print them). `clock` (default `SystemClock`) and
    `day_starts` (when a day begins on that clock, default midnight UTC) are parameters so tests can run the real
    service on a clock whose next day begins in a few seconds. `resync_every` (default: the settings'
    `scheduler_resync_seconds`) is how often the jobs are rebuilt from timers other processes set.
    """
    stop = stop_event or threading.Event()
    engine = build_engine(settings, clock=clock or SystemClock())
    where = settings.describe_database()
    try:
        every = resync_every or settings.scheduler_resync_seconds
        scheduler = LiveScheduler(engine, lock=lock_for(settings), day_starts=day_starts, resync_every=every)
        with _stop_on_signals(stop):
            fired = scheduler.start()
            try:
                _log_started(scheduler, where, len(fired))
                if on_started is not None:
                    on_started(scheduler)
                _wait(stop)
            finally:
                scheduler.stop()
        logger.info("scheduler stopped on %s", where)
    finally:
        engine.close()


def _wait(stop: threading.Event) -> None:
    # Poll is_set() rather than block in stop.wait(): a signal handler calling stop.set() while this thread held
    # the event's internal lock (inside wait) would deadlock, and is_set() and sleep() take no lock.
    while not stop.is_set():
        time.sleep(_POLL_SECONDS)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("stopping on %s", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _log_started(scheduler: LiveScheduler, where: str, caught_up: int) -> None:
    jobs = scheduler.jobs()
    first = min(jobs.items(), key=lambda item: item[1], default=None)
    upcoming = f"; next {first[0]} at {first[1].isoformat()}" if first else ""
    logger.info(
        "scheduler started on %s (pid %d): %d timers fired on catching up, %d timer jobs%s",
        where,
        os.getpid(),
        caught_up,
        len(jobs),
        upcoming,
    )
