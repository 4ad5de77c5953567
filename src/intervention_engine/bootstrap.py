"""The composition root: the one place that builds an engine from settings (DESIGN decision 11).

Every adapter is a parameter so tests can pass their own; nothing here runs at import time. The faces build
on it (`service.compose.build_app`, `cli.scheduler.run_service`); nothing below them imports it, and the
library builds its in-memory sandboxes with `InterventionEngine.in_memory`.
"""

from __future__ import annotations

import time

from eventsourcing.persistence import PersistenceError

from .calendar import WorkingDayCalendar
from .clock import Clock, SystemClock
from .engine import InterventionEngine
from .persistence.checks import check_store, record_schema_version
from .persistence.store import CouncilStore, store_unavailable
from .policies.registry import PolicyRegistry, default_registry
from .policies.rulebook import Rulebook
from .settings import Settings


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
    store is checked first (`persistence.checks.check_store`: schema version, SQLite's quick_check); a `read_only`
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
