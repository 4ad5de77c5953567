"""Live firing of timers on APScheduler 3.x: the scheduler is a cache of the timer events (DESIGN decisions 6, 7).

`LiveScheduler` keeps exactly one APScheduler job per pending timer, with the deterministic id
`"<council>:<timer_id>"`. A job does not fire "its" timer: it asks the engine to fire everything due by today
(`engine.fire_due(engine.clock.today())`), which records `TimerFired` and the policy reactions, and then re-syncs
the jobs from `engine.due()`: new timers get a job, fired and cancelled ones lose theirs, rescheduled ones move.
Recording through `LiveScheduler.record` re-syncs the same way, and a periodic re-sync picks up facts recorded by
other processes on the same database.

Why a `MemoryJobStore`, never a persistent one: which timers exist is derivable from the events at any moment,
so the jobs are a disposable index. At start-up the adapter first fires every timer already due (one that fell
due while no scheduler ran fires exactly once, then), then rebuilds the jobs from `engine.due()`. A persistent
job store would be a second copy of the truth that can drift from the events (a job pickled for a timer cancelled
since), would pickle references to this process's objects, and would be shared between schedulers (APScheduler
issue #655); losing or deleting the job store costs nothing here, because there is none to lose.

When a timer fires. A timer is due on a DATE and, like every timer of the engine, fires when that date is over
(`engine.fire_due(day)` fires the timers due before `day`): its job runs at the instant the next day begins.
`day_starts` says when a day begins; the default, `StartOfDay(UTC)`, is midnight UTC, the day `SystemClock` reads.
It must agree with the engine's clock, because a job fires what the clock says is due:
`StartOfDay(ZoneInfo("Europe/London"))` suits a clock that reads the London day. Both are parameters, so tests run
on a clock whose next day begins two seconds from now, with the `day_starts` that agrees with it. If they disagree
anyway (or a firing failed), a timer whose instant has passed but which is still pending is retried
`retry_after` seconds later, never in a tight loop.

Threads: APScheduler runs jobs on one worker thread; every use of the engine goes through one lock, because the
engine and its index are not thread-safe. Only real instants (`now`) are read here, as APScheduler does; the day
in the world always comes from the engine's clock (decision 7).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..engine import InterventionEngine, Recorded, TimerFiring, fires_on
from ..facts import Fact
from ..persistence.council_index import DueTimer
from .lock import NoLock, SchedulerLock

logger = logging.getLogger(__name__)

DayStarts = Callable[[dt.date], dt.datetime]
"""The aware instant at which a day begins on the engine's clock."""

RESYNC_JOB_ID = "resync-from-events"

_JOB_OPTIONS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


@dataclass(frozen=True)
class StartOfDay:
    """Days begin at midnight in `timezone`."""

    timezone: dt.tzinfo = dt.UTC

    def __call__(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.timezone)


def job_id(timer: DueTimer) -> str:
    """The deterministic APScheduler job id of a pending timer."""
    return f"{timer.council}:{timer.timer_id}"


class LiveScheduler:
    """Fires an engine's timers in real time, keeping one APScheduler job per pending timer."""

    def __init__(
        self,
        engine: InterventionEngine,
        *,
        lock: SchedulerLock | None = None,
        day_starts: DayStarts | None = None,
        resync_every: float = 60.0,
        retry_after: float = 60.0,
    ) -> None:
        if resync_every <= 0 or retry_after <= 0:
            raise ValueError("resync_every and retry_after must be positive numbers of seconds")
        self.engine = engine
        self.lock: SchedulerLock = lock or NoLock()
        self.day_starts: DayStarts = day_starts or StartOfDay()
        self.resync_every = resync_every
        self.retry_after = dt.timedelta(seconds=retry_after)
        self._engine_lock = threading.RLock()
        self._scheduler: BackgroundScheduler | None = None

    # ----------------------------------------------------------------------------------------------------------
    # Life cycle.

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def start(self) -> list[TimerFiring]:
        """Take the lock, fire what fell due while no scheduler ran, then rebuild the jobs from the events."""
        if self._scheduler is not None:
            raise RuntimeError("this LiveScheduler is already running")
        self.lock.acquire()
        try:
            fired = self._fire_due()
            self._scheduler = _new_scheduler()
            self._scheduler.start()
            self._scheduler.add_job(
                self.tick, IntervalTrigger(seconds=self.resync_every, timezone=dt.UTC), id=RESYNC_JOB_ID, **_JOB_OPTIONS
            )
            self.sync()
        except BaseException:
            self.stop()
            self.lock.release()
            raise
        return fired

    def stop(self) -> None:
        """Stop firing (waiting for a firing under way to finish) and give the lock back.

        APScheduler's `shutdown(wait=True)` waits for running jobs while holding its job-store lock, and a job
        re-syncs the jobs (which needs that lock): the two would wait for each other for ever. So the scheduler
        stops without waiting, and the wait is for the engine lock, which a job holds for as long as it works;
        a job that starts after this finds the scheduler gone and does nothing.
        """
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.shutdown(wait=False)
        with self._engine_lock:  # a firing under way finishes first
            pass
        self.lock.release()

    def __enter__(self) -> LiveScheduler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------------------------
    # Firing and re-syncing.

    def record(self, council: str | None, fact: Fact | Mapping[str, Any], *, strict: bool | None = None) -> Recorded:
        """Record a fact through the engine, then fire what is due and re-sync the jobs."""
        with self._engine_lock:
            recorded = self.engine.record(council, fact, strict=strict)
            if self.running:
                self.tick()
        return recorded

    def tick(self) -> list[TimerFiring]:
        """Fire every timer due by today, then re-sync the jobs (what every job and the periodic re-sync run)."""
        with self._engine_lock:
            if self._scheduler is None:
                return []  # stopped (a job that began after `stop`): the lock may be someone else's by now
            try:
                return self._fire_due()
            finally:
                self.sync()

    def sync(self) -> None:
        """Make the jobs match the pending timers: one job per timer, at its firing time."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        with self._engine_lock:
            pending = self.engine.due()
            now = dt.datetime.now(dt.UTC)
            current = {job.id: job.next_run_time for job in scheduler.get_jobs() if job.id != RESYNC_JOB_ID}
            wanted = {job_id(timer): timer for timer in pending}
            for stale in current.keys() - wanted.keys():
                _remove(scheduler, stale)
            for jid, timer in wanted.items():
                run_at = self._run_at(timer, now, current.get(jid))
                if current.get(jid) != run_at:
                    scheduler.add_job(
                        self.tick,
                        DateTrigger(run_date=run_at),
                        id=jid,
                        name=f"{timer.kind} of {timer.council} due {timer.due_on} ({timer.rule_id})",
                        replace_existing=True,
                        **_JOB_OPTIONS,
                    )

    def jobs(self) -> dict[str, dt.datetime]:
        """The timer jobs now scheduled: job id to the instant it runs (the periodic re-sync left out)."""
        scheduler = self._scheduler
        if scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in scheduler.get_jobs() if job.id != RESYNC_JOB_ID}

    def firing_time(self, due_on: dt.date) -> dt.datetime:
        """The instant a timer due on `due_on` fires: when its day is over, that is when the next day begins."""
        day = fires_on(due_on)
        begins = self.day_starts(day)
        if begins.tzinfo is None:
            raise ValueError(f"day_starts gave {begins} for {day}: it must give an aware datetime")
        return begins

    def pending(self) -> list[DueTimer]:
        """The pending timers, read from the events (safe to call while jobs run)."""
        with self._engine_lock:
            return self.engine.due()

    # ----------------------------------------------------------------------------------------------------------

    def _fire_due(self) -> list[TimerFiring]:
        with self._engine_lock:
            fired = self.engine.fire_due(self.engine.clock.today())
        for firing in fired:
            logger.info(
                "timer fired: council %s, %s due %s (%s)",
                firing.council,
                firing.kind,
                firing.due_on.isoformat(),
                firing.rule_id,
            )
        return fired

    def _run_at(self, timer: DueTimer, now: dt.datetime, scheduled: dt.datetime | None) -> dt.datetime:
        run_at = self.firing_time(timer.due_on)
        if run_at > now:
            return run_at
        # Past its instant yet still pending: the clock does not say it is due yet, or its firing failed.
        if scheduled is not None and scheduled > now:
            return scheduled
        retry = now + self.retry_after
        logger.warning(
            "timer %s of council %s (due %s) is past its firing time %s but still pending on %s; retrying at %s",
            timer.timer_id,
            timer.council,
            timer.due_on.isoformat(),
            run_at.isoformat(),
            self.engine.clock.today().isoformat(),
            retry.isoformat(),
        )
        return retry


def _new_scheduler() -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=dict(_JOB_OPTIONS),
        timezone=dt.UTC,
    )


def _remove(scheduler: BackgroundScheduler, jid: str) -> None:
    with contextlib.suppress(JobLookupError):  # it ran, and APScheduler removed it, since we listed the jobs
        scheduler.remove_job(jid)
