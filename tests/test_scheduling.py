"""Live firing on real APScheduler and a real SQLite file: timers fire once, survive restarts and SIGKILL, and only
one scheduler runs per database.

Time is honest but short: `ShiftedClock` runs at real speed, and the day after the timer's due day (a timer fires
when its day is over) begins a few seconds from now; the scheduler's `day_starts` agrees with it. Tests wait by
polling with a generous timeout and never assert on how long anything took.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intervention_engine import (
    DueTimer,
    InterventionEngine,
    InterventionError,
    Settings,
    TimerFiring,
    VirtualClock,
    build_engine,
)
from intervention_engine.cli.scheduler import run_service
from intervention_engine.scheduling import (
    FileLock,
    LiveScheduler,
    NoLock,
    SchedulerAlreadyRunning,
    StartOfDay,
    fires_on,
    job_id,
    lock_for,
)

from factories import inspection, registration
from live_service import ShiftedClock
from waiting import eventually

D = dt.date
UTC = dt.UTC
HELPER = Path(__file__).with_name("live_service.py")
TIMEOUT = 30.0  # generous: a bound on waiting, never an expectation of speed

PUBLISHED = D(2016, 11, 25)  # an inadequate report; ILACS-07: its action plan is due 70 working days later
PLAN_DUE = D(2017, 3, 8)
PLAN_FIRES = PLAN_DUE + dt.timedelta(days=1)  # the day on which it fires: its due day is over
CYCLE_KINDS = ("action_plan_due", "monitoring_visit_due", "reinspection_window_opens", "reinspection_due")


# ------------------------------------------------------------------------------------------------------------------
# Helpers.


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(backend="sqlite", db=tmp_path / "engine.sqlite")


def observer(settings: Settings) -> InterventionEngine:
    """A second engine on the same database, as another process would see it."""
    return build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))


def seed_inadequate_kirklees(settings: Settings) -> DueTimer:
    """Kirklees, judged inadequate; returns its action plan timer (ILACS-07), due on PLAN_DUE."""
    engine = observer(settings)
    try:
        engine.record(None, registration())
        engine.record("382", inspection(PUBLISHED, "inadequate"))
        plan = pending_of(engine.due(), "382", "action_plan_due")
    finally:
        engine.close()
    assert plan.due_on == PLAN_DUE
    return plan


def pending_of(pending: list[DueTimer], council: str, kind: str) -> DueTimer:
    (timer,) = (t for t in pending if t.council == council and t.kind == kind)
    return timer


def fired(settings: Settings, council: str = "382") -> list[str]:
    """The kind of every timer of a council that fired, in order, as stored."""
    engine = observer(settings)
    try:
        entries = engine.timeline(council)
    finally:
        engine.close()
    kinds = {e.data["timer_id"]: e.data["kind"] for e in entries if e.event == "TimerScheduled"}
    return [kinds[e.data["timer_id"]] for e in entries if e.event == "TimerFired"]


def times_fired(settings: Settings, timer: DueTimer) -> int:
    engine = observer(settings)
    try:
        entries = engine.timeline(timer.council)
    finally:
        engine.close()
    return sum(1 for e in entries if e.event == "TimerFired" and e.data["timer_id"] == timer.timer_id)


def ids(firings: list[TimerFiring]) -> set[str]:
    """The job ids of the timers fired, to compare with `job_id(timer)`."""
    return {f"{firing.council}:{firing.timer_id}" for firing in firings}


def jobs_follow_events(scheduler: LiveScheduler, clock: ShiftedClock) -> bool:
    expected = {job_id(timer): clock.start_of(fires_on(timer.due_on)) for timer in scheduler.pending()}
    return scheduler.jobs() == expected


class Services:
    """Starts live schedulers on one database and always stops them (and closes their engines)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: list[LiveScheduler] = []

    def start(self, clock: ShiftedClock, **options: float) -> tuple[LiveScheduler, list[TimerFiring]]:
        engine = build_engine(self.settings, clock=clock)
        scheduler = LiveScheduler(engine, lock=lock_for(self.settings), day_starts=clock.start_of, **options)
        self.running.append(scheduler)
        return scheduler, scheduler.start()

    def stop(self, scheduler: LiveScheduler) -> None:
        self.running.remove(scheduler)
        scheduler.stop()
        scheduler.engine.close()

    def stop_all(self) -> None:
        for scheduler in list(self.running):
            self.stop(scheduler)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    started = Services(settings)
    yield started
    started.stop_all()


class ServiceProcess:
    """`run_service` in a child process (tests/live_service.py), its log in a file."""

    def __init__(self, settings: Settings, tmp_path: Path, *, day: D, begins_in: float) -> None:
        self.log = tmp_path / "service.log"
        self.output = tmp_path / "service.out"
        args = [sys.executable, str(HELPER), str(settings.db), day.isoformat(), str(begins_in), str(self.log)]
        with self.output.open("w") as output:
            self.process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def diagnostics(self) -> str:
        return f"\n--- log ---\n{self.text()}\n--- output ---\n{self.output.read_text()}"

    def wait_until_started(self) -> None:
        eventually(
            lambda: "scheduler started" in self.text() or self.process.poll() is not None,
            "the service to start",
            self.diagnostics,
        )
        assert self.process.poll() is None, self.diagnostics()

    def end(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=TIMEOUT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def child(settings: Settings, tmp_path: Path) -> Iterator[Callable[[float], ServiceProcess]]:
    children: list[ServiceProcess] = []

    def spawn(begins_in: float) -> ServiceProcess:
        children.append(ServiceProcess(settings, tmp_path, day=PLAN_FIRES, begins_in=begins_in))
        return children[-1]

    yield spawn
    for process in children:
        process.close()


# ------------------------------------------------------------------------------------------------------------------
# Firing.


def test_a_timer_due_two_seconds_ahead_fires_once_and_its_job_goes(settings: Settings, services: Services) -> None:
    plan = seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=2)
    scheduler, caught_up = services.start(clock)
    assert job_id(plan) not in ids(caught_up)
    assert clock.today() == PLAN_DUE, "the test machine took over two seconds to start a scheduler"
    assert scheduler.jobs()[job_id(plan)] == clock.start_of(PLAN_FIRES)

    eventually(lambda: times_fired(settings, plan) > 0, "the action plan timer to fire")
    eventually(lambda: jobs_follow_events(scheduler, clock), "the jobs to follow the events")
    assert job_id(plan) not in scheduler.jobs()
    assert times_fired(settings, plan) == 1


def test_a_timer_that_fell_due_while_stopped_fires_once_at_restart(settings: Settings, services: Services) -> None:
    plan = seed_inadequate_kirklees(settings)
    first, _ = services.start(ShiftedClock(PLAN_FIRES, begins_in=3600))
    assert job_id(plan) in first.jobs()
    services.stop(first)
    assert times_fired(settings, plan) == 0

    # The due day ended while no scheduler ran.
    clock = ShiftedClock(PLAN_FIRES, begins_in=-1)
    second, caught_up = services.start(clock)
    assert job_id(plan) in ids(caught_up)
    assert job_id(plan) not in second.jobs()
    assert jobs_follow_events(second, clock)
    services.stop(second)

    third, caught_up = services.start(clock)
    assert caught_up == []
    assert times_fired(settings, plan) == 1
    assert jobs_follow_events(third, clock)


def test_sigkill_before_the_firing_time_loses_nothing(
    settings: Settings, services: Services, child: Callable[[float], ServiceProcess]
) -> None:
    plan = seed_inadequate_kirklees(settings)
    process = child(3600)  # the service schedules the timer an hour ahead ...
    process.wait_until_started()
    assert f"next {job_id(plan)} at" in process.text()
    assert process.end(signal.SIGKILL) == -signal.SIGKILL  # ... and dies long before it fires
    assert times_fired(settings, plan) == 0

    clock = ShiftedClock(PLAN_FIRES, begins_in=1)
    scheduler, caught_up = services.start(clock)  # the OS released the dead process's lock
    assert job_id(plan) not in ids(caught_up)
    assert scheduler.jobs()[job_id(plan)] == clock.start_of(PLAN_FIRES)  # rebuilt from the events
    eventually(lambda: times_fired(settings, plan) > 0, "the rebuilt job to fire")
    eventually(lambda: jobs_follow_events(scheduler, clock), "the jobs to follow the events")
    assert times_fired(settings, plan) == 1


def test_the_service_stops_cleanly_on_sigterm_and_frees_the_database(
    settings: Settings, child: Callable[[float], ServiceProcess]
) -> None:
    seed_inadequate_kirklees(settings)
    process = child(3600)
    process.wait_until_started()
    assert process.end(signal.SIGTERM) == 0, process.diagnostics()
    assert "stopping on SIGTERM" in process.text()
    assert "scheduler stopped" in process.text()
    lock = FileLock.beside(settings.db)
    lock.acquire()
    lock.release()


def test_run_service_fires_logs_and_stops_when_asked(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="intervention_engine.scheduling")
    plan = seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=1)
    stop = threading.Event()
    started: list[LiveScheduler] = []
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            run_service(settings, stop_event=stop, clock=clock, day_starts=clock.start_of, on_started=started.append)
        except BaseException as error:  # handed to the test thread, not lost in this one
            failures.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        eventually(lambda: times_fired(settings, plan) > 0 or bool(failures), "the service to fire the timer")
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert failures == []
    assert len(started) == 1
    assert started[0].resync_every == settings.scheduler_resync_seconds  # INTERVENTION_ENGINE_SCHEDULER_RESYNC_...
    messages = [record.getMessage() for record in caplog.records]
    assert "timer fired: council 382, action_plan_due due 2017-03-08 (ILACS-07)" in messages
    assert any(m.startswith(f"scheduler stopped on database {settings.db.resolve()}") for m in messages)
    assert times_fired(settings, plan) == 1
    lock = FileLock.beside(settings.db)
    lock.acquire()  # released on stopping
    lock.release()


# ------------------------------------------------------------------------------------------------------------------
# One scheduler per database.


def test_a_second_scheduler_on_the_same_database_refuses_to_start(settings: Settings, services: Services) -> None:
    seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=3600)
    first, _ = services.start(clock)
    with pytest.raises(SchedulerAlreadyRunning) as refused:
        services.start(clock)
    message = str(refused.value)
    assert f"already running on database {settings.db.resolve()}" in message
    assert f"pid {os.getpid()}" in message
    assert isinstance(refused.value, InterventionError)
    assert isinstance(refused.value, RuntimeError)
    assert jobs_follow_events(first, clock)  # the refused one disturbed nothing

    services.stop(first)
    services.start(clock)  # free again once the first has stopped


def test_a_scheduler_in_another_process_keeps_this_one_from_starting(
    settings: Settings, services: Services, child: Callable[[float], ServiceProcess]
) -> None:
    seed_inadequate_kirklees(settings)
    process = child(3600)
    process.wait_until_started()
    pid = process.process.pid
    with pytest.raises(SchedulerAlreadyRunning, match=rf"database {settings.db.resolve()} \(pid {pid} holds"):
        services.start(ShiftedClock(PLAN_FIRES, begins_in=3600))
    already_stopped = threading.Event()
    already_stopped.set()  # so a wrongly started service returns at once instead of hanging the test
    with pytest.raises(SchedulerAlreadyRunning, match=f"pid {pid}"):
        run_service(settings, stop_event=already_stopped)
    assert process.end(signal.SIGTERM) == 0, process.diagnostics()


def test_the_in_memory_store_needs_no_lock() -> None:
    assert isinstance(lock_for(Settings(backend="memory")), NoLock)
    assert isinstance(lock_for(Settings(backend="sqlite", db=Path("x.sqlite"))), FileLock)


# ------------------------------------------------------------------------------------------------------------------
# Jobs follow the events.


def test_jobs_move_and_go_with_the_facts_recorded(settings: Settings, services: Services) -> None:
    plan = seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=3600)
    scheduler, _ = services.start(clock)
    cycle = {kind: pending_of(scheduler.pending(), "382", kind) for kind in CYCLE_KINDS}
    assert {job_id(timer) for timer in cycle.values()} <= set(scheduler.jobs())
    assert jobs_follow_events(scheduler, clock)

    scheduler.record("382", {"type": "action_plan_submitted", "occurred_on": "2017-02-20"})
    jobs = scheduler.jobs()
    assert job_id(plan) not in jobs  # cancelled
    assert jobs[job_id(cycle["reinspection_due"])] == clock.start_of(D(2019, 2, 21))  # rescheduled (ILACS-09)
    assert jobs_follow_events(scheduler, clock)

    scheduler.record("382", {"type": "monitoring_visit_published", "occurred_on": "2017-03-01"})
    assert scheduler.jobs()[job_id(cycle["monitoring_visit_due"])] == clock.start_of(D(2017, 6, 2))  # ILACS-08
    assert jobs_follow_events(scheduler, clock)

    scheduler.record("382", inspection(D(2017, 3, 6), "requires_improvement"))  # supersedes the whole cycle
    assert not {job_id(timer) for timer in cycle.values()} & set(scheduler.jobs())
    assert jobs_follow_events(scheduler, clock)


def test_a_late_fact_fires_its_overdue_timers_at_once(settings: Settings, services: Services) -> None:
    seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=3600)
    scheduler, _ = services.start(clock)
    scheduler.record(None, registration("383", "Leeds"))
    scheduler.record("383", inspection(D(2015, 3, 2), "good"))  # its action plan fell due in 2015 (ILACS-07)
    assert fired(settings, "383").count("action_plan_due") == 1
    next_inspection = pending_of(scheduler.pending(), "383", "next_inspection_due")  # ILACS-04, in 2017
    assert scheduler.jobs()[job_id(next_inspection)] == clock.start_of(fires_on(next_inspection.due_on))
    assert jobs_follow_events(scheduler, clock)


def test_facts_recorded_by_another_process_are_picked_up(settings: Settings, services: Services) -> None:
    plan = seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=3600)
    scheduler, _ = services.start(clock, resync_every=0.2)
    elsewhere = observer(settings)
    try:
        elsewhere.record("382", {"type": "action_plan_submitted", "occurred_on": "2017-02-20"})
    finally:
        elsewhere.close()
    eventually(lambda: job_id(plan) not in scheduler.jobs(), "the periodic re-sync to drop the cancelled job")
    eventually(lambda: jobs_follow_events(scheduler, clock), "the jobs to follow the events")


def test_a_timer_past_its_instant_but_not_yet_due_by_the_clock_is_retried_later(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    plan = seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=3600)
    engine = build_engine(settings, clock=clock)
    early = LiveScheduler(engine, day_starts=lambda day: clock.start_of(day) - dt.timedelta(hours=2), retry_after=600)
    try:
        early.start()
        # Not an instant in the past (which would run again and again): a retry some minutes on.
        assert early.jobs()[job_id(plan)] > dt.datetime.now(UTC)
        assert times_fired(settings, plan) == 0
        assert f"timer {plan.timer_id} of council 382 (due 2017-03-08) is past its firing time" in caplog.text
    finally:
        early.stop()
        engine.close()


def test_a_timer_fires_when_its_due_day_is_over_in_the_day_starts_timezone() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2017, 1, 1)))
    try:
        utc = LiveScheduler(engine)
        assert utc.firing_time(D(2017, 6, 30)) == dt.datetime(2017, 7, 1, tzinfo=UTC)
        london = LiveScheduler(engine, day_starts=StartOfDay(ZoneInfo("Europe/London")))
        assert london.firing_time(D(2017, 6, 30)) == dt.datetime(2017, 6, 30, 23, tzinfo=UTC)  # BST
        assert london.firing_time(D(2017, 1, 8)) == dt.datetime(2017, 1, 9, tzinfo=UTC)  # GMT
    finally:
        engine.close()


def test_firing_times_must_be_aware() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2017, 1, 1)))
    try:
        naive = LiveScheduler(engine, day_starts=lambda day: dt.datetime.combine(day, dt.time()))
        with pytest.raises(ValueError, match="aware"):
            naive.firing_time(D(2017, 6, 30))
    finally:
        engine.close()


def test_stopping_while_a_job_runs_waits_for_it_and_does_not_hang(settings: Settings, services: Services) -> None:
    """APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs, and a job
    re-syncs the jobs, which needs that lock: stopping mid-job must not leave the two waiting for each other."""
    seed_inadequate_kirklees(settings)
    clock = ShiftedClock(PLAN_FIRES, begins_in=1)
    scheduler, _ = services.start(clock)
    in_job, stopping = threading.Event(), threading.Event()
    due = scheduler.engine.due

    def due_held_mid_job(until: D | None = None) -> list[DueTimer]:
        if threading.current_thread() is not threading.main_thread() and not in_job.is_set():
            in_job.set()
            stopping.wait(TIMEOUT)
            time.sleep(0.2)  # let stop() get as far as it can while this job still runs
        return due(until)

    scheduler.engine.due = due_held_mid_job  # type: ignore[method-assign]
    eventually(in_job.is_set, "the timer's job to start")
    stopper = threading.Thread(target=scheduler.stop, daemon=True)
    stopper.start()
    stopping.set()
    stopper.join(TIMEOUT)
    assert not stopper.is_alive(), "stop() and the running job waited for each other"
    assert fired(settings) == ["action_plan_due"]  # the job under way finished its firing
    services.running.remove(scheduler)
    scheduler.engine.close()
    again, _ = services.start(clock)  # the lock was given back
    assert again.running
