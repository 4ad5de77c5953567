"""The composition root: the one place that builds an engine from settings (DESIGN decision 11).

Every adapter is a parameter so tests and simulations can pass their own; nothing here runs at import time.
"""

from __future__ import annotations

from .calendar import WorkingDayCalendar
from .clock import Clock, SystemClock
from .engine import InterventionEngine
from .policies.registry import PolicyRegistry, default_registry
from .policies.rulebook import Rulebook
from .settings import Settings
from .store import CouncilStore


def build_engine(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    policies: PolicyRegistry | None = None,
    calendar: WorkingDayCalendar | None = None,
) -> InterventionEngine:
    """An engine on the configured store (SQLite file by default, in memory with `backend="memory"`)."""
    settings = settings or Settings()
    store = CouncilStore(settings.eventsourcing_env(), snapshot_interval=settings.snapshot_interval)
    return InterventionEngine(
        store,
        clock=clock or SystemClock(),
        calendar=calendar or WorkingDayCalendar(),
        policies=policies or default_registry(),
        rulebook=Rulebook(),
        strict=settings.strict,
    )
