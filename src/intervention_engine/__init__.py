"""intervention_engine: an event-sourced workflow engine for the DfE intervention regime in children's services.

The public API, re-exported explicitly. Build an engine with `build_engine(Settings(...), clock=...)`.
"""

from .bootstrap import build_engine
from .calendar import WorkingDayCalendar, add_months
from .clock import Clock, SystemClock, VirtualClock
from .engine import CouncilStatus, InterventionEngine, Recorded, TimelineEntry, TimerFiring
from .errors import (
    ConfigurationError,
    CouncilAlreadyRegistered,
    CouncilNotFound,
    FactInFuture,
    FactOutOfOrder,
    InterventionError,
    InvalidFact,
    InvalidImport,
    InvalidScenario,
    MoveNotAllowed,
)
from .facts import AnyFact, Fact, parse_fact
from .projections.council_index import DueTimer
from .projections.national import NationalCount
from .settings import Settings

__all__ = [
    "AnyFact",
    "Clock",
    "ConfigurationError",
    "CouncilAlreadyRegistered",
    "CouncilNotFound",
    "CouncilStatus",
    "DueTimer",
    "Fact",
    "FactInFuture",
    "FactOutOfOrder",
    "InterventionEngine",
    "InterventionError",
    "InvalidFact",
    "InvalidImport",
    "InvalidScenario",
    "MoveNotAllowed",
    "NationalCount",
    "Recorded",
    "Settings",
    "SystemClock",
    "TimelineEntry",
    "TimerFiring",
    "VirtualClock",
    "WorkingDayCalendar",
    "add_months",
    "build_engine",
    "parse_fact",
]
